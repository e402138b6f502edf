//! What a verified token's claims must say: audience, issuer, time window, scopes.

use std::sync::Arc;

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

/// A token's claims as its payload gives them: the three time claims in seconds, the
/// others as they came.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TokenClaims {
    /// `exp`.
    pub expiration: Option<i64>,
    /// `nbf`.
    pub not_before: Option<i64>,
    /// `iat`.
    pub issued_at: Option<i64>,
    /// Every other claim.
    pub custom: Map<String, Value>,
}

/// The times a time claim may name: those of chrono's `DateTime<Utc>` (about years -262143
/// to 262142), as jwt-compact, which reads the same claims on the host, takes them.
const EARLIEST: i64 = -8_334_601_228_800;
const LATEST: i64 = 8_210_266_876_799;

impl TokenClaims {
    /// Reads a token's payload: a JSON object whose `exp`, `nbf` and `iat`, when present,
    /// are numbers of seconds (a fraction is dropped), each named once. `None` when it is
    /// not.
    ///
    /// The rule is jwt-compact's reading of `Claims`, which the host uses (checked against
    /// it in the tests and the `token_claims` fuzz target): a repeated time claim is
    /// refused, another repeated claim counts its last value (both of which RFC 7519
    /// section 4 allows).
    pub fn parse(payload: &[u8]) -> Option<TokenClaims> {
        let (mut custom, repeated) = crate::protocol::from_value::object_and_repeats(payload)?;
        if repeated
            .iter()
            .any(|n| matches!(n.as_str(), "exp" | "nbf" | "iat"))
        {
            return None;
        }
        let mut time = |name: &str| -> Result<Option<i64>, ()> {
            let Some(v) = custom.remove(name) else {
                return Ok(None);
            };
            let Value::Number(n) = v else { return Err(()) };
            let secs = match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => i,
                (None, Some(_), _) => return Err(()),
                // As jwt-compact reads a float: truncated, saturating.
                (None, None, Some(f)) => f as i64,
                // Only with serde_json's `arbitrary_precision`: no f64 holds it.
                (None, None, None) => return Err(()),
            };
            if (EARLIEST..=LATEST).contains(&secs) {
                Ok(Some(secs))
            } else {
                Err(())
            }
        };
        let expiration = time("exp").ok()?;
        let not_before = time("nbf").ok()?;
        let issued_at = time("iat").ok()?;
        Some(TokenClaims {
            expiration,
            not_before,
            issued_at,
            custom,
        })
    }
}

impl ClaimPolicy {
    /// Checks everything but scopes, and returns who the token speaks for and until when.
    pub fn check(&self, claims: &TokenClaims, now: i64) -> Result<(Principal, i64), AuthError> {
        let exp = claims
            .expiration
            .ok_or_else(|| AuthError::invalid("the token has no 'exp' (expiry) claim"))?;
        if exp <= now {
            return Err(AuthError::invalid("the token has expired"));
        }
        if let Some(nbf) = claims.not_before {
            if nbf > now + self.leeway_secs {
                return Err(AuthError::invalid(
                    "the token is not valid yet ('nbf' is in the future)",
                ));
            }
        }
        if let Some(iat) = claims.issued_at {
            if iat > now + self.leeway_secs {
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
        // The time claims were taken out of the map; a tool sees them all.
        let mut all = custom.clone();
        for (name, time) in [
            ("exp", claims.expiration),
            ("nbf", claims.not_before),
            ("iat", claims.issued_at),
        ] {
            if let Some(t) = time {
                all.insert(name.into(), t.into());
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
        ahead(claims.not_before) || ahead(claims.issued_at)
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
        TokenClaims::parse(v.to_string().as_bytes()).unwrap()
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

    /// The reader against jwt-compact's reading of the same payload: the same claims, or
    /// both refuse.
    fn agrees_with_jwt_compact(payload: &str) {
        let ours = TokenClaims::parse(payload.as_bytes());
        let theirs = serde_json::from_str::<jwt_compact::Claims<Map<String, Value>>>(payload).ok();
        let theirs = theirs.map(|t| TokenClaims {
            expiration: t.expiration.map(|t| t.timestamp()),
            not_before: t.not_before.map(|t| t.timestamp()),
            issued_at: t.issued_at.map(|t| t.timestamp()),
            custom: t.custom,
        });
        assert_eq!(ours, theirs, "{payload}");
    }

    #[test]
    fn claims_are_read_as_jwt_compact_reads_them() {
        for payload in [
            r#"{"aud":"a","exp":1800003600,"nbf":1,"iat":0,"sub":"u"}"#,
            r#"{}"#,
            r#"[]"#,
            r#""exp""#,
            r#"{"exp":null}"#,
            r#"{"exp":"1800003600"}"#,
            r#"{"exp":[1]}"#,
            r#"{"exp":1800003600.9}"#,
            r#"{"exp":-1.5}"#,
            r#"{"exp":1e300}"#,
            r#"{"exp":-1e300}"#,
            r#"{"nbf":9223372036854775807}"#,
            r#"{"nbf":9223372036854775808}"#,
            r#"{"iat":18446744073709551615}"#,
            r#"{"iat":-9223372036854775808}"#,
            r#"{"exp":-8334601228800}"#,
            r#"{"exp":-8334601228801}"#,
            r#"{"exp":8210266876799}"#,
            r#"{"exp":8210266876800}"#,
            r#"{"exp":8210266876799.5}"#,
            r#"{"scope":"a b","scp":["c"],"nested":{"exp":"x"}}"#,
            r#"{"aud":"a","aud":"b"}"#,
            r#"{"exp":1,"exp":2}"#,
            r#"{"nbf":1,"x":0,"nbf":1}"#,
            r#"{"exp":1 "#,
        ] {
            agrees_with_jwt_compact(payload);
        }
    }

    #[test]
    fn a_repeated_time_claim_is_refused_and_another_counts_its_last_value() {
        assert_eq!(TokenClaims::parse(br#"{"exp":1,"exp":1800003600}"#), None);
        assert_eq!(TokenClaims::parse(br#"{"iat":1,"sub":"a","iat":1}"#), None);
        let c = TokenClaims::parse(br#"{"aud":"a","exp":5,"aud":"b"}"#).unwrap();
        assert_eq!(c.custom["aud"], "b");
    }
}
