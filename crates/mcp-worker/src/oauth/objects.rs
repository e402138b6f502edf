//! How the worker talks to a grant's object: each operation of [`grant::Object`] as one
//! JSON message and its answer, so that the worker and the Durable Object (or, on the
//! host, an object in memory) share one protocol, tested here.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use serde_json::{json, Value};

use super::error::{ErrorCode, OAuthError};
use super::grant::{
    self, GrantError, GrantId, Granted, NewGrant, OpaqueToken, Redemption, Refresh, Revocation,
};
use super::json::FromJson;
use super::token::AccessClaims;
use crate::tools::BoxFuture;

/// The way to a grant's object: in the worker, a Durable Object namespace.
pub trait GrantChannel {
    /// Sends `op` to the object of `grant` and returns its answer, or why it could not
    /// be reached (for the operator's log).
    fn send<'a>(&'a self, grant: &'a GrantId, op: Value) -> BoxFuture<'a, Result<Value, String>>;
}

/// Runs one operation on `object`: what the Durable Object's `fetch` does with a message.
pub async fn dispatch(object: &grant::Object, op: &Value, now_ms: u64) -> Value {
    fn arg<T: FromJson>(op: &Value, name: &str) -> Result<T, GrantError> {
        T::from_json(op.get(name).unwrap_or(&Value::Null))
            .ok_or_else(|| GrantError::Storage(format!("the operation's {name} is unusable")))
    }
    let flag = |name: &str| op.get(name).and_then(Value::as_bool).unwrap_or(false);
    let client_id = op.get("client_id").and_then(Value::as_str).unwrap_or("");
    let answer: Result<Value, GrantError> = async {
        match op.get("op").and_then(Value::as_str) {
            Some("create") => {
                let code = object.create(arg::<NewGrant>(op, "grant")?, now_ms).await?;
                Ok(json!(code.reveal()))
            }
            Some("redeem") => {
                let granted = object
                    .redeem(&arg::<Redemption>(op, "redemption")?, now_ms)
                    .await?;
                Ok(serde_json::to_value(granted).unwrap_or_default())
            }
            Some("refresh") => {
                let granted = object
                    .refresh(&arg::<Refresh>(op, "refresh")?, now_ms)
                    .await?;
                Ok(serde_json::to_value(granted).unwrap_or_default())
            }
            Some("revoke") => {
                let token = arg::<OpaqueToken>(op, "token")?;
                let r = object
                    .revoke(&token, client_id, flag("authenticated"), now_ms)
                    .await?;
                Ok(serde_json::to_value(r).unwrap_or_default())
            }
            Some("revoke_access_token") => {
                let claims = arg::<AccessClaims>(op, "claims")?;
                let r = object
                    .revoke_access_token(&claims, client_id, flag("authenticated"), now_ms)
                    .await?;
                Ok(serde_json::to_value(r).unwrap_or_default())
            }
            _ => Err(GrantError::Storage("an unknown operation".into())),
        }
    }
    .await;
    match answer {
        Ok(v) => json!({ "ok": v }),
        Err(e) => json!({
            "error": e.oauth_error(),
            "error_description": e.to_string(),
            "exists": matches!(e, GrantError::Exists),
        }),
    }
}

/// A grant operation's failure as the token endpoint answers it: the object's refusal,
/// or `temporarily_unavailable` when the object could not be reached (the details go to
/// the log, not the client).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failed {
    pub error: OAuthError,
    /// For the operator's log: why the object was not reached.
    pub log: Option<String>,
    /// A grant with this id exists already (a creation repeated).
    pub exists: bool,
}

async fn call<T: FromJson>(
    channel: &dyn GrantChannel,
    grant: &GrantId,
    op: Value,
) -> Result<T, Failed> {
    let unreachable = |why: String| Failed {
        error: OAuthError::new(
            ErrorCode::TemporarilyUnavailable,
            "the grant store could not be reached; try again shortly",
        ),
        log: Some(why),
        exists: false,
    };
    let answer = channel.send(grant, op).await.map_err(unreachable)?;
    if let Some(ok) = answer.get("ok") {
        return T::from_json(ok)
            .ok_or_else(|| unreachable("a grant object's answer is unusable".into()));
    }
    let code = answer
        .get("error")
        .and_then(Value::as_str)
        .and_then(ErrorCode::from_name)
        .unwrap_or(ErrorCode::ServerError);
    let description = answer
        .get("error_description")
        .and_then(Value::as_str)
        .unwrap_or("");
    let exists = answer.get("exists").and_then(Value::as_bool) == Some(true);
    if code == ErrorCode::ServerError {
        // Storage details are the operator's, not the client's.
        return Err(Failed {
            error: OAuthError::new(code, "the grant store failed; try again"),
            log: (!exists).then(|| description.to_owned()),
            exists,
        });
    }
    Err(Failed {
        error: OAuthError::new(code, description),
        log: None,
        exists,
    })
}

/// Creates the grant and returns its code.
pub async fn create(channel: &dyn GrantChannel, grant: &NewGrant) -> Result<String, Failed> {
    call(
        channel,
        &grant.id,
        json!({ "op": "create", "grant": grant }),
    )
    .await
}

/// Redeems a code.
pub async fn redeem(channel: &dyn GrantChannel, r: &Redemption) -> Result<Granted, Failed> {
    call(
        channel,
        r.code.grant_id(),
        json!({ "op": "redeem", "redemption": r }),
    )
    .await
}

/// Refreshes.
pub async fn refresh(channel: &dyn GrantChannel, r: &Refresh) -> Result<Granted, Failed> {
    call(
        channel,
        r.token.grant_id(),
        json!({ "op": "refresh", "refresh": r }),
    )
    .await
}

/// Revokes by refresh token.
pub async fn revoke(
    channel: &dyn GrantChannel,
    token: &OpaqueToken,
    client_id: &str,
    authenticated: bool,
) -> Result<Revocation, Failed> {
    let op = json!({ "op": "revoke", "token": token, "client_id": client_id, "authenticated": authenticated });
    call(channel, token.grant_id(), op).await
}

/// Revokes by access token (its claims, from a token whose signature was checked).
pub async fn revoke_access_token(
    channel: &dyn GrantChannel,
    grant: &GrantId,
    claims: &AccessClaims,
    authenticated: bool,
) -> Result<Revocation, Failed> {
    let op = json!({ "op": "revoke_access_token", "claims": claims, "client_id": claims.client_id, "authenticated": authenticated });
    call(channel, grant, op).await
}

/// Grants kept in memory, one [`grant::Object`] each over storage in memory: the host's
/// [`GrantChannel`], for tests. Alarms are not run.
#[derive(Default)]
pub struct MemoryGrants {
    objects: RefCell<HashMap<String, MemoryObject>>,
    now_ms: std::cell::Cell<u64>,
    sends: std::cell::Cell<usize>,
}

impl MemoryGrants {
    /// Sets the clock the objects see (milliseconds since the Unix epoch).
    pub fn set_now_ms(&self, now_ms: u64) {
        self.now_ms.set(now_ms);
    }

    /// How many operations were sent to any grant's object.
    pub fn sends(&self) -> usize {
        self.sends.get()
    }

    /// How many grants have a stored record.
    pub fn len(&self) -> usize {
        self.objects
            .borrow()
            .values()
            .filter(|(_, s)| s.record.borrow().is_some())
            .count()
    }

    /// Whether no grant has a stored record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One grant's object in memory, and its storage.
type MemoryObject = (Rc<grant::Object>, Rc<MemoryStorage>);

#[derive(Default)]
struct MemoryStorage {
    record: RefCell<Option<String>>,
}

impl grant::Storage for MemoryStorage {
    fn get(&self) -> BoxFuture<'_, Result<Option<String>, String>> {
        Box::pin(std::future::ready(Ok(self.record.borrow().clone())))
    }
    fn put(&self, record: String) -> BoxFuture<'_, Result<(), String>> {
        *self.record.borrow_mut() = Some(record);
        Box::pin(std::future::ready(Ok(())))
    }
    fn delete(&self) -> BoxFuture<'_, Result<(), String>> {
        *self.record.borrow_mut() = None;
        Box::pin(std::future::ready(Ok(())))
    }
    fn set_alarm(&self, _: u64) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(std::future::ready(Ok(())))
    }
    fn delete_alarm(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

impl GrantChannel for MemoryGrants {
    fn send<'a>(&'a self, grant: &'a GrantId, op: Value) -> BoxFuture<'a, Result<Value, String>> {
        let object = self
            .objects
            .borrow_mut()
            .entry(grant.as_str().to_owned())
            .or_insert_with(|| {
                let storage = Rc::new(MemoryStorage::default());
                (Rc::new(grant::Object::new(storage.clone())), storage)
            })
            .0
            .clone();
        let now = self.now_ms.get();
        self.sends.set(self.sends.get() + 1);
        Box::pin(async move { Ok(dispatch(&object, &op, now).await) })
    }
}
