//! The record of one task, its wire shapes, its owner and its id.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::POLL_INTERVAL_MS;
use crate::primitives::Caller;
use crate::protocol::jsonrpc::RpcError;

/// A task's status (SEP-2663 "Task Status").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Working,
    InputRequired,
    Completed,
    Failed,
    Cancelled,
}

impl Status {
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Completed | Status::Failed | Status::Cancelled)
    }
}

/// Everything kept about one task, in one stored value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    /// Who may read, answer and cancel it: see [`owner_of`].
    pub owner: String,
    pub tool: String,
    pub arguments: Map<String, Value>,
    /// The verified caller, as the tool sees it when it runs.
    pub caller: Option<StoredCaller>,
    /// The `clientCapabilities` of the call that created it: what input may be asked.
    pub client_capabilities: Value,
    pub status: Status,
    pub status_message: Option<String>,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub ttl_ms: u64,
    /// Answers the client has given, by input request key (earlier rounds included).
    pub responses: Map<String, Value>,
    /// Requests waiting for an answer (status `input_required`).
    pub input_requests: Map<String, Value>,
    pub result: Option<Value>,
    pub error: Option<Value>,
    /// Runs started and not finished since the last one that did: a run cut short
    /// (eviction, the wall-time limit, a crash) leaves it raised.
    pub unfinished_runs: u32,
}

/// [`Caller`] as stored with a task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredCaller {
    pub subject: Option<String>,
    pub scopes: Vec<String>,
    pub claims: Map<String, Value>,
}

impl From<&Caller> for StoredCaller {
    fn from(c: &Caller) -> Self {
        StoredCaller {
            subject: c.subject.clone(),
            scopes: c.scopes.clone(),
            claims: c.claims.clone(),
        }
    }
}

impl From<StoredCaller> for Caller {
    fn from(c: StoredCaller) -> Self {
        Caller {
            subject: c.subject,
            scopes: c.scopes,
            claims: c.claims,
        }
    }
}

/// The owner of a task the caller creates, or `None` when the caller can own none. An
/// input round's `requestState` is bound to the same principal (`mcp::state`).
///
/// A token names its holder by issuer and subject (`iss`, `sub`); one without `sub` (a
/// client-credentials token) by issuer and client (`client_id`, else `azp`). The issuer
/// is part of the owner because a `sub` is unique only within its issuer (OpenID
/// Connect Core 1.0, section 2), and keys may be shared by several. A token naming
/// neither a subject nor a client could be anyone's: it gets `None` and owns no task.
/// Without authentication there is nobody to tell apart, and the unguessable id alone
/// guards the task (SEP-2663 "Security Implications").
pub fn owner_of(caller: Option<&Caller>) -> Option<String> {
    let Some(caller) = caller else {
        return Some("anyone".into());
    };
    let claim = |name: &str| caller.claims.get(name).and_then(Value::as_str);
    let iss = claim("iss").unwrap_or("");
    let (kind, who) = match caller.subject.as_deref() {
        Some(sub) => ("sub", sub),
        None => ("client", claim("client_id").or(claim("azp"))?),
    };
    // A JSON array: no issuer or name can be written to look like another pair.
    Some(json!([kind, iss, who]).to_string())
}

/// A new task id: 128 bits from the platform's CSPRNG (`crypto.getRandomValues` in a
/// worker), base64url, 22 characters.
pub fn new_id() -> Result<String, getrandom::Error> {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes)?;
    Ok(Base64UrlUnpadded::encode_string(&bytes))
}

/// Could `id` be a task id this server issued? Anything else is an unknown task
/// without asking storage (and without creating an object for it).
pub fn is_well_formed_id(id: &str) -> bool {
    id.len() == 22
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Record {
    /// The expiry instant: creation plus TTL (SEP-2663: `ttlMs` is "from creation").
    pub fn expires_ms(&self) -> u64 {
        self.created_ms.saturating_add(self.ttl_ms)
    }

    pub fn is_expired(&self, now_ms: u64) -> bool {
        now_ms >= self.expires_ms()
    }

    fn task_fields(&self) -> Map<String, Value> {
        let mut task = Map::new();
        task.insert("taskId".into(), self.id.clone().into());
        task.insert("status".into(), json!(self.status));
        if let Some(m) = &self.status_message {
            task.insert("statusMessage".into(), m.clone().into());
        }
        task.insert("createdAt".into(), iso8601(self.created_ms).into());
        task.insert("lastUpdatedAt".into(), iso8601(self.updated_ms).into());
        task.insert("ttlMs".into(), self.ttl_ms.into());
        task.insert("pollIntervalMs".into(), POLL_INTERVAL_MS.into());
        task
    }

    /// `CreateTaskResult`: `resultType: "task"` and the task's fields, flat.
    pub fn create_result(&self) -> Value {
        let mut out = self.task_fields();
        out.insert("resultType".into(), "task".into());
        Value::Object(out)
    }

    /// `GetTaskResult` (a `DetailedTask`): the fields of its status inlined
    /// (SEP-2663 "Task Polling"). `resultType` is added by the server.
    pub fn detailed(&self) -> Value {
        let mut out = self.task_fields();
        match self.status {
            Status::InputRequired => {
                out.insert(
                    "inputRequests".into(),
                    Value::Object(self.input_requests.clone()),
                );
            }
            Status::Completed => {
                out.insert("result".into(), self.result.clone().unwrap_or(json!({})));
            }
            Status::Failed => {
                let fallback = json!({ "code": crate::protocol::jsonrpc::INTERNAL_ERROR, "message": "Internal error" });
                out.insert("error".into(), self.error.clone().unwrap_or(fallback));
            }
            Status::Working | Status::Cancelled => {}
        }
        Value::Object(out)
    }
}

/// A JSON-RPC error as a task's `error` field.
pub fn error_json(e: &RpcError) -> Value {
    let mut out = json!({ "code": e.code, "message": e.message });
    if let Some(d) = &e.data {
        out["data"] = d.clone();
    }
    out
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for milliseconds since the epoch (UTC), without a date
/// library: the civil-from-days conversion of Howard Hinnant's date algorithms.
pub fn iso8601(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso_8601_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso8601(1_764_590_400_123), "2025-12-01T12:00:00.123Z");
        assert_eq!(iso8601(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
    }

    #[test]
    fn ids_have_128_random_bits_and_only_well_formed_ones_are_looked_up() {
        let a = new_id().unwrap();
        let b = new_id().unwrap();
        assert_ne!(a, b);
        assert!(is_well_formed_id(&a), "{a}");
        for bad in [
            "",
            "short",
            "tasks-conformance-nonexistent-12345",
            "aaaaaaaaaaaaaaaaaaaaa=",
            "aaaaaaaaaaaaaaaaaaaaa/",
            "aaaaaaaaaaaaaaaaaaaaaaa",
        ] {
            assert!(!is_well_formed_id(bad), "{bad}");
        }
    }

    #[test]
    fn owners_are_issuer_and_subject_or_client() {
        let who = |sub: Option<&str>, claims: Value| Caller {
            subject: sub.map(str::to_owned),
            claims: claims.as_object().cloned().unwrap_or_default(),
            ..Caller::default()
        };
        let owner = |c: Caller| owner_of(Some(&c));
        assert_eq!(
            owner(who(Some("alice"), json!({"iss": "https://as"}))).as_deref(),
            Some(r#"["sub","https://as","alice"]"#)
        );
        assert_eq!(
            owner(who(None, json!({"iss": "https://as", "azp": "app"}))).as_deref(),
            Some(r#"["client","https://as","app"]"#)
        );
        // `sub` wins over the client; `client_id` over `azp`.
        assert_eq!(
            owner(who(Some("a"), json!({"client_id": "c"}))),
            owner(who(Some("a"), json!({})))
        );
        assert_eq!(
            owner(who(None, json!({"client_id": "c", "azp": "d"}))),
            owner(who(None, json!({"client_id": "c"})))
        );
        // A name cannot pose as an issuer and name pair.
        assert_ne!(
            owner(who(Some("b"), json!({"iss": "a\",\""}))),
            owner(who(Some("\",\"b"), json!({"iss": "a"})))
        );
        assert_eq!(owner_of(None).as_deref(), Some("anyone"));
        assert_eq!(owner(Caller::default()), None);
        assert_eq!(owner(who(None, json!({"iss": "https://as"}))), None);
    }
}
