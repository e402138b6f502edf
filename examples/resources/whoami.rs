use mcp_worker::resources::{CacheHint, Context, Resource, ResourceError};

/// Who the server thinks is asking: the token's subject and scopes.
pub struct WhoAmI;

impl Resource for WhoAmI {
    const URI: &'static str = "whoami://caller";
    const NAME: &'static str = "whoami";
    const TITLE: Option<&'static str> = Some("Who am I");
    const DESCRIPTION: &'static str = "The subject and scopes of the token that reads it.";
    const MIME_TYPE: Option<&'static str> = Some("text/plain");
    // It differs per caller: clients may keep it a minute, for this token only.
    const CACHE: CacheHint = CacheHint::private(60_000);
    type Output = String;

    async fn read(&self, ctx: &Context) -> Result<String, ResourceError> {
        let Some(caller) = ctx.caller() else {
            return Ok("Nobody: this server runs without authentication.".into());
        };
        let subject = caller.subject.as_deref().unwrap_or("(no subject)");
        Ok(format!(
            "subject: {subject}\nscopes: {}",
            caller.scopes.join(" ")
        ))
    }
}
