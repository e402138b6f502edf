//! Excerpts of docs/tools.md that are not whole example files: each tool here is complete
//! and compiled (the fixture crate's tests build this file), and the docs quote it.

use mcp_worker::tools::{Context, FetchRequest, InputRequest, Schema, Tool, ToolError};
use serde::Deserialize;
use serde_json::{json, Value};

/// Fetches each URL in turn, reporting progress and logging each answer.
pub struct FetchAll;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Batch {
    pub items: Vec<String>,
}

impl Schema for Batch {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": { "items": { "type": "array", "items": { "type": "string" } } },
            "required": ["items"]
        })
    }
}

impl Tool for FetchAll {
    const NAME: &'static str = "fetch_all";
    const DESCRIPTION: &'static str = "Fetch each URL and say how it answered.";
    type Args = Batch;
    type Output = String;

    async fn call(&self, args: Batch, ctx: &Context) -> Result<String, ToolError> {
        for (i, item) in args.items.iter().enumerate() {
            ctx.progress(i as f64, Some(args.items.len() as f64), Some(item));
            let answer = ctx.fetch(FetchRequest::get(item)).await?; // a slow call
            ctx.info(format!("{item}: HTTP {}", answer.status));
        }
        Ok("all done".into())
    }
}

/// Asks the user to confirm before booking.
pub struct BookTable;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Booking {
    pub people: u32,
    pub time: String,
}

impl Schema for Booking {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "people": { "type": "integer", "minimum": 1 },
                "time": { "type": "string" }
            },
            "required": ["people", "time"]
        })
    }
}

impl Tool for BookTable {
    const NAME: &'static str = "book_table";
    const DESCRIPTION: &'static str = "Book a table, after the user confirms.";
    type Args = Booking;
    type Output = String;
    const ASKS_FOR_INPUT: bool = true;

    async fn call(&self, args: Booking, ctx: &Context) -> Result<String, ToolError> {
        let answer = ctx.input("confirm", InputRequest::elicit(
            format!("Book a table for {} at {}?", args.people, args.time),
            json!({ "type": "object", "properties": { "ok": { "type": "boolean" } }, "required": ["ok"] }),
        ))?; // the first time: stops here, and the client is asked
        if answer["action"] != "accept" || answer["content"]["ok"] != true {
            return Ok("Not booked.".into());
        }
        Ok("Booked.".into())
    }
}
