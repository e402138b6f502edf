use mcp_worker::tools::{Context, Json, NoArgs, Schema, Tool, ToolError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Saves a note for the calling user in Workers KV (binding `NOTES`).
pub struct SaveNote;

/// How many notes one user may keep: one KV value holds them all.
pub const MAX_NOTES: usize = 100;

/// Lists the calling user's notes.
pub struct ListNotes;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    pub text: String,
}

impl Schema for NewNote {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": { "text": { "type": "string", "minLength": 1, "maxLength": 1000 } },
            "required": ["text"],
            "additionalProperties": false
        })
    }
}

#[derive(Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Notes {
    pub notes: Vec<String>,
}

impl Schema for Notes {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": { "notes": { "type": "array", "items": { "type": "string" } } },
            "required": ["notes"]
        })
    }
}

/// Each user's notes live under a key of their own: the token's subject.
fn key_of(ctx: &Context) -> Result<String, ToolError> {
    let subject = ctx
        .caller()
        .and_then(|c| c.subject.as_deref())
        .ok_or_else(|| {
            ToolError::new("Notes belong to a user: call with a token that has a subject ('sub').")
        })?;
    Ok(format!("notes:{subject}"))
}

impl Tool for SaveNote {
    const NAME: &'static str = "save_note";
    const DESCRIPTION: &'static str = "Save a note for the calling user; returns all their notes.";
    const SCOPES: &'static [&'static str] = &["notes:write"];
    type Args = NewNote;
    type Output = Json<Notes>;

    async fn call(&self, args: NewNote, ctx: &Context) -> Result<Json<Notes>, ToolError> {
        let key = key_of(ctx)?;
        let mut notes = store::load(ctx, &key).await?;
        if notes.len() >= MAX_NOTES {
            return Err(ToolError::new(format!(
                "You already have {MAX_NOTES} notes, the most one user may keep."
            )));
        }
        notes.push(args.text);
        store::save(ctx, &key, &notes).await?;
        Ok(Json(Notes { notes }))
    }
}

impl Tool for ListNotes {
    const NAME: &'static str = "list_notes";
    const DESCRIPTION: &'static str = "List the calling user's notes.";
    const SCOPES: &'static [&'static str] = &["notes:read"];
    type Args = NoArgs;
    type Output = Json<Notes>;

    async fn call(&self, _: NoArgs, ctx: &Context) -> Result<Json<Notes>, ToolError> {
        let notes = store::load(ctx, &key_of(ctx)?).await?;
        Ok(Json(Notes { notes }))
    }
}

/// The notes live in Workers KV, bound as `NOTES`. In a host test the platform has no
/// bindings: `ctx.kv` answers a tool error naming the binding, and everything before it
/// is tested as in the worker.
mod store {
    use mcp_worker::tools::{Context, ToolError};

    pub async fn load(ctx: &Context, key: &str) -> Result<Vec<String>, ToolError> {
        let kv = ctx.kv("NOTES")?;
        Ok(kv.get(key).json::<Vec<String>>().await?.unwrap_or_default())
    }

    pub async fn save(ctx: &Context, key: &str, notes: &[String]) -> Result<(), ToolError> {
        ctx.kv("NOTES")?.put(key, notes)?.execute().await?;
        Ok(())
    }
}
