//! `requestState` for 2026-07-28 input-required rounds (basic/index "Multi Round-Trip"):
//! what a tool call needs from its earlier rounds, handed to the client and back, so that
//! any isolate anywhere can take the retry.
//!
//! The client must not be able to change it or move it to another call, so it is sealed:
//! `base64url(payload) "." base64url(HMAC-SHA256(key, payload))`, with the key from the
//! `INPUT_STATE_KEY` secret. The payload names the server, the tool, a hash of the
//! arguments, the caller and an expiry; a state that fails any of these is refused before
//! the tool runs. The caller is the principal tasks belong to too (`tasks::record::owner_of`:
//! issuer and subject, or issuer and client), because 2026-07-28 basic/patterns/mrtr says
//! servers SHOULD reject state presented by a different principal, and a `sub` alone is
//! unique only within its issuer. A token naming neither gets no input round at all.
//! It is signed, not encrypted: the client can read it (it holds the client's own answers
//! and what the tool chose to keep).

use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// How long a client has to answer an input request (10 minutes).
pub const TTL_SECS: i64 = 600;
/// The shortest key accepted for `INPUT_STATE_KEY`.
pub const MIN_KEY_BYTES: usize = 32;

/// What one round hands to the next.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Carried {
    /// Answers to input requests of earlier rounds, by key.
    pub responses: Map<String, Value>,
    /// The keys of the requests this round asked, the only answers a retry may bring.
    pub pending: Vec<String>,
    /// What the tool kept with `ctx.set_state`.
    pub tool_state: Option<Value>,
}

/// The call a state belongs to.
pub struct Binding<'a> {
    /// The server's name: a key shared by two servers does not move states between them.
    pub server: &'a str,
    pub tool: &'a str,
    pub arguments: &'a Value,
    /// The caller, as `tasks::record::owner_of` names it (`"anyone"` without authentication).
    pub owner: &'a str,
}

impl Binding<'_> {
    fn args_hash(&self) -> String {
        // serde_json's map keeps keys sorted: the same arguments serialise the same way.
        let digest = Sha256::digest(self.arguments.to_string().as_bytes());
        Base64UrlUnpadded::encode_string(&digest)
    }
}

/// Why a `requestState` was refused: said to the client as `-32602`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateError {
    Malformed,
    BadSignature,
    Expired,
    OtherCall,
}

impl std::fmt::Display for StateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StateError::Malformed => "'requestState' is not a state this server issued",
            StateError::BadSignature => "'requestState' was altered or sealed by another server; start the call again without it",
            StateError::Expired => "'requestState' has expired; start the call again without it",
            StateError::OtherCall => "'requestState' belongs to another tool call (tool, arguments or caller differ); start the call again without it",
        })
    }
}

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length.
    HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
}

/// Seals what the next round needs.
pub fn seal(key: &[u8], binding: &Binding, carried: &Carried, now: i64) -> String {
    let payload = json!({
        "v": 1,
        "server": binding.server,
        "tool": binding.tool,
        "args": binding.args_hash(),
        "owner": binding.owner,
        "exp": now + TTL_SECS,
        "responses": carried.responses,
        "pending": carried.pending,
        "state": carried.tool_state,
    })
    .to_string();
    let mut m = mac(key);
    m.update(payload.as_bytes());
    let tag = m.finalize().into_bytes();
    format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(payload.as_bytes()),
        Base64UrlUnpadded::encode_string(&tag)
    )
}

/// Opens a state sealed by [`seal`] with the same key, for the same call, in time.
pub fn open(key: &[u8], binding: &Binding, sealed: &str, now: i64) -> Result<Carried, StateError> {
    let (payload, tag) = sealed.split_once('.').ok_or(StateError::Malformed)?;
    // Strict decoding: a character outside the alphabet, or one too many, is refused.
    let payload = Base64UrlUnpadded::decode_vec(payload).map_err(|_| StateError::Malformed)?;
    let tag = Base64UrlUnpadded::decode_vec(tag).map_err(|_| StateError::Malformed)?;
    if tag.len() != 32 {
        return Err(StateError::Malformed);
    }
    let mut m = mac(key);
    m.update(&payload);
    // Constant-time comparison.
    m.verify_slice(&tag).map_err(|_| StateError::BadSignature)?;
    let payload: Value = serde_json::from_slice(&payload).map_err(|_| StateError::Malformed)?;
    if payload["v"] != 1 {
        return Err(StateError::Malformed);
    }
    if payload["exp"].as_i64().is_none_or(|exp| exp <= now) {
        return Err(StateError::Expired);
    }
    let same_call = payload["server"] == binding.server
        && payload["tool"] == binding.tool
        && payload["args"] == binding.args_hash().as_str()
        && payload["owner"] == binding.owner;
    if !same_call {
        return Err(StateError::OtherCall);
    }
    Ok(Carried {
        responses: payload["responses"]
            .as_object()
            .cloned()
            .unwrap_or_default(),
        pending: payload["pending"]
            .as_array()
            .map(|keys| {
                keys.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        tool_state: Some(payload["state"].clone()).filter(|s| !s.is_null()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
    const NOW: i64 = 1_800_000_000;

    fn args() -> Value {
        json!({"city": "Paris"})
    }

    fn binding(args: &Value) -> Binding<'_> {
        Binding {
            server: "s",
            tool: "weather",
            arguments: args,
            owner: r#"["sub","https://as","alice"]"#,
        }
    }

    fn carried() -> Carried {
        let mut responses = Map::new();
        responses.insert(
            "ok".into(),
            json!({"action": "accept", "content": {"ok": true}}),
        );
        Carried {
            responses,
            pending: vec!["next".into()],
            tool_state: Some(json!({"round": 1})),
        }
    }

    #[test]
    fn a_sealed_state_opens_to_what_was_sealed() {
        let a = args();
        let sealed = seal(KEY, &binding(&a), &carried(), NOW);
        assert_eq!(open(KEY, &binding(&a), &sealed, NOW + 1), Ok(carried()));
    }

    #[test]
    fn tampering_anywhere_is_refused() {
        let a = args();
        let sealed = seal(KEY, &binding(&a), &carried(), NOW);
        let (payload, tag) = sealed.split_once('.').unwrap();
        // The conformance suite appends text; flipping one payload character must fail too.
        let mut flipped = payload.as_bytes().to_vec();
        flipped[5] = if flipped[5] == b'A' { b'B' } else { b'A' };
        let flipped = format!("{}.{tag}", String::from_utf8(flipped).unwrap());
        for bad in [
            format!("{sealed}-TAMPERED"),
            flipped,
            format!("{payload}.{payload}"),
        ] {
            assert!(open(KEY, &binding(&a), &bad, NOW).is_err(), "{bad}");
        }
        for bad in ["", "no-dot", ".", "a.b.c", "%%%.%%%"] {
            assert_eq!(
                open(KEY, &binding(&a), bad, NOW),
                Err(StateError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn another_key_expiry_or_call_is_refused() {
        let a = args();
        let sealed = seal(KEY, &binding(&a), &carried(), NOW);
        let other_key = b"another key that is long enough.......";
        assert_eq!(
            open(other_key, &binding(&a), &sealed, NOW),
            Err(StateError::BadSignature)
        );
        assert_eq!(
            open(KEY, &binding(&a), &sealed, NOW + TTL_SECS),
            Err(StateError::Expired)
        );
        let b = json!({"city": "Lyon"});
        assert_eq!(
            open(KEY, &binding(&b), &sealed, NOW),
            Err(StateError::OtherCall)
        );
        // The same subject from another issuer is another principal.
        for other in [
            r#"["sub","https://as","bob"]"#,
            r#"["sub","https://other-as","alice"]"#,
            r#"["client","https://as","alice"]"#,
            "anyone",
        ] {
            let who = Binding {
                owner: other,
                ..binding(&a)
            };
            assert_eq!(
                open(KEY, &who, &sealed, NOW),
                Err(StateError::OtherCall),
                "{other}"
            );
        }
        let tool = Binding {
            tool: "other",
            ..binding(&a)
        };
        assert_eq!(open(KEY, &tool, &sealed, NOW), Err(StateError::OtherCall));
    }
}
