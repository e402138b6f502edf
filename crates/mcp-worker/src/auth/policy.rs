//! What a verified token's claims must say: audience, issuer, time window, scopes.

use std::sync::Arc;

use jwt_compact::Claims;
use serde_json::{Map, Value};

use super::{AuthError, Principal};

/// The claim rules, from configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimPolicy {
    /// One of them must appear in `aud` (a string, or an array of strings).
    pub audiences: Vec<String>,
    /// When set, `iss` must equal it exactly.
    pub issuer: Option<String>,
    /// Every one must be granted by `scope` (space-separated) or `scp` (array or string).
    pub required_scopes: Arc<[String]>,
    /// Clock skew tolerated for `nbf` and `iat` in the future. Expiry has none: a token
    /// is dead at `exp`.
    pub leeway_secs: i64,
}

pub type TokenClaims = Claims<Map<String, Value>>;

impl ClaimPolicy {
    /// Checks everything but scopes, and returns who the token speaks for and until when.
    pub fn check(&self, claims: &TokenClaims, now: i64) -> Result<(Principal, i64), AuthError> {
        let exp = claims
            .expiration
            .ok_or_else(|| AuthError::invalid("the token has no 'exp' (expiry) claim"))?
            .timestamp();
        if exp <= now {
            return Err(AuthError::invalid("the token has expired"));
        }
        if let Some(nbf) = claims.not_before {
            if nbf.timestamp() > now + self.leeway_secs {
                return Err(AuthError::invalid(
                    "the token is not valid yet ('nbf' is in the future)",
                ));
            }
        }
        if let Some(iat) = claims.issued_at {
            if iat.timestamp() > now + self.leeway_secs {
                return Err(AuthError::invalid(
                    "the token was issued in the future ('iat')",
                ));
            }
        }
        let custom = &claims.custom;
        let ours = |a: &str| self.audiences.iter().any(|ours| ours == a);
        let audience_ok = match custom.get("aud") {
            Some(Value::String(a)) => ours(a),
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).any(ours),
            _ => false,
        };
        if !audience_ok {
            return Err(AuthError::invalid(format!(
                "the token's audience ('aud') does not include '{}'",
                self.audiences.join("' or '")
            )));
        }
        if let Some(expected) = &self.issuer {
            if custom.get("iss").and_then(Value::as_str) != Some(expected.as_str()) {
                return Err(AuthError::invalid(
                    "the token's issuer ('iss') is not the one this server trusts",
                ));
            }
        }
        // jwt-compact takes the time claims out of the map; a tool sees them all.
        let mut all = custom.clone();
        for (name, time) in [
            ("exp", claims.expiration),
            ("nbf", claims.not_before),
            ("iat", claims.issued_at),
        ] {
            if let Some(t) = time {
                all.insert(name.into(), t.timestamp().into());
            }
        }
        let principal = Principal {
            subject: custom.get("sub").and_then(Value::as_str).map(str::to_owned),
            scopes: granted_scopes(custom),
            claims: all,
        };
        Ok((principal, exp))
    }

    /// Whether a token refused by [`ClaimPolicy::check`] now could pass later: only a
    /// token whose `nbf` or `iat` is still ahead. Expiry, audience and issuer never mend.
    pub fn may_become_valid(&self, claims: &TokenClaims, now: i64) -> bool {
        let ahead = |t: Option<i64>| t.is_some_and(|t| t > now + self.leeway_secs);
        ahead(claims.not_before.map(|t| t.timestamp()))
            || ahead(claims.issued_at.map(|t| t.timestamp()))
    }

    /// Checks that the principal holds every required scope.
    pub fn authorize(&self, principal: &Principal) -> Result<(), AuthError> {
        let missing: Vec<&str> = self
            .required_scopes
            .iter()
            .filter(|s| !principal.scopes.iter().any(|g| g == *s))
            .map(String::as_str)
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(AuthError::InsufficientScope {
                missing: missing.join(" "),
            })
        }
    }
}

fn granted_scopes(claims: &Map<String, Value>) -> Vec<String> {
    let mut scopes = Vec::new();
    if let Some(Value::String(s)) = claims.get("scope") {
        scopes.extend(s.split_whitespace().map(str::to_owned));
    }
    match claims.get("scp") {
        Some(Value::Array(list)) => {
            scopes.extend(list.iter().filter_map(Value::as_str).map(str::to_owned))
        }
        Some(Value::String(s)) => scopes.extend(s.split_whitespace().map(str::to_owned)),
        _ => {}
    }
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;

    fn policy() -> ClaimPolicy {
        ClaimPolicy {
            audiences: vec!["my-server".into()],
            issuer: Some("https://issuer.example".into()),
            required_scopes: Arc::from(["notes:write".to_string()]),
            leeway_secs: 60,
        }
    }

    fn claims(v: Value) -> TokenClaims {
        serde_json::from_value(v).unwrap()
    }

    fn good() -> Value {
        json!({"iss": "https://issuer.example", "sub": "u1", "aud": "my-server",
               "iat": NOW - 10, "exp": NOW + 3600, "scope": "notes:write other"})
    }

    fn with(field: &str, value: Value) -> TokenClaims {
        let mut v = good();
        v[field] = value;
        claims(v)
    }

    fn without(field: &str) -> TokenClaims {
        let mut v = good();
        v.as_object_mut().unwrap().remove(field);
        claims(v)
    }

    #[test]
    fn a_good_token_passes_and_names_its_subject() {
        let (p, exp) = policy().check(&claims(good()), NOW).unwrap();
        assert_eq!(p.subject.as_deref(), Some("u1"));
        assert_eq!(exp, NOW + 3600);
        assert_eq!(policy().authorize(&p), Ok(()));
    }

    #[test]
    fn expiry_is_required_and_exact() {
        assert!(policy().check(&without("exp"), NOW).is_err());
        assert!(
            policy().check(&with("exp", json!(NOW)), NOW).is_err(),
            "exp == now"
        );
        assert!(policy().check(&with("exp", json!(NOW - 1)), NOW).is_err());
        assert!(policy().check(&with("exp", json!(NOW + 1)), NOW).is_ok());
    }

    #[test]
    fn nbf_and_iat_allow_only_the_leeway() {
        assert!(policy().check(&with("nbf", json!(NOW + 60)), NOW).is_ok());
        assert!(policy().check(&with("nbf", json!(NOW + 61)), NOW).is_err());
        assert!(policy().check(&with("iat", json!(NOW + 61)), NOW).is_err());
    }

    #[test]
    fn audience_string_or_array_must_include_ours() {
        assert!(policy()
            .check(&with("aud", json!(["x", "my-server"])), NOW)
            .is_ok());
        assert!(policy()
            .check(&with("aud", json!(["x", "y"])), NOW)
            .is_err());
        assert!(policy().check(&with("aud", json!("other")), NOW).is_err());
        assert!(policy().check(&without("aud"), NOW).is_err());
    }

    #[test]
    fn any_of_several_audiences_will_do_and_no_other() {
        let p = ClaimPolicy {
            audiences: vec![
                "https://d.example/mcp/".into(),
                "https://d.example/mcp".into(),
            ],
            ..policy()
        };
        for ok in [
            json!("https://d.example/mcp"),
            json!(["x", "https://d.example/mcp/"]),
        ] {
            assert!(p.check(&with("aud", ok.clone()), NOW).is_ok(), "{ok}");
        }
        for bad in [
            json!("https://d.example/mcp//"),
            json!("https://d.example"),
            json!(["my-server"]),
        ] {
            let e = p.check(&with("aud", bad.clone()), NOW).unwrap_err();
            assert!(
                e.to_string()
                    .contains("'https://d.example/mcp/' or 'https://d.example/mcp'"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn issuer_must_match_exactly_when_configured() {
        assert!(policy()
            .check(&with("iss", json!("https://issuer.example/")), NOW)
            .is_err());
        assert!(policy().check(&without("iss"), NOW).is_err());
        let open = ClaimPolicy {
            issuer: None,
            ..policy()
        };
        assert!(open.check(&without("iss"), NOW).is_ok());
    }

    #[test]
    fn scopes_come_from_scope_or_scp() {
        let p = policy();
        let (no_scope, _) = p.check(&without("scope"), NOW).unwrap();
        assert_eq!(
            p.authorize(&no_scope),
            Err(AuthError::InsufficientScope {
                missing: "notes:write".into()
            })
        );
        let mut v = good();
        v.as_object_mut().unwrap().remove("scope");
        v["scp"] = json!(["notes:write"]);
        let (scp, _) = p.check(&claims(v), NOW).unwrap();
        assert_eq!(p.authorize(&scp), Ok(()));
    }
}
