// tests/conformance/src/headers.rs: a tool whose arguments travel in headers too (docs/custom-headers.md shows this file).
//! The fixture for the 2026-07-28 `http-custom-header-server-validation` scenario: a tool
//! whose arguments are mirrored into `Mcp-Param-*` headers (`x-mcp-header`). The suite
//! picks the first tool with a string-typed annotated property and calls it with headers
//! that agree, disagree, are malformed or are missing.

use mcp_worker::tools::{Context, Schema, Tool, ToolError};
use serde::Deserialize;
use serde_json::{json, Value};

pub struct HeaderRoute;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct RouteArgs {
    region: String,
    priority: Option<i64>,
    dry_run: Option<bool>,
}

impl Schema for RouteArgs {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "region": {
                    "type": "string",
                    "description": "Where to run; mirrored into Mcp-Param-Region",
                    "x-mcp-header": "Region"
                },
                "priority": {
                    "type": "integer",
                    "description": "Mirrored into Mcp-Param-Priority",
                    "x-mcp-header": "Priority"
                },
                "dry_run": {
                    "type": "boolean",
                    "description": "Mirrored into Mcp-Param-Dry-Run",
                    "x-mcp-header": "Dry-Run"
                }
            },
            "required": ["region"]
        })
    }
}

impl Tool for HeaderRoute {
    const NAME: &'static str = "test_header_route";
    const DESCRIPTION: &'static str =
        "Echoes the region it was routed to; region, priority and dry_run travel in Mcp-Param-* headers too";
    type Args = RouteArgs;
    type Output = String;

    async fn call(&self, args: RouteArgs, _: &Context) -> Result<String, ToolError> {
        Ok(format!(
            "routed to {} (priority {}, dry run {})",
            args.region,
            args.priority.unwrap_or(0),
            args.dry_run.unwrap_or(false)
        ))
    }
}
