//! `application/x-www-form-urlencoded`, both ways: the reader for token and revocation
//! bodies and the authorization request's query (OAuth 2.1 draft 15 §3.1, §3.2;
//! WHATWG URL "application/x-www-form-urlencoded parsing"), and the writer that puts
//! parameters onto a redirect URI (OAuth 2.1 §4.1.2, Appendix B).
//!
//! The reader is strict where leniency would let two readers of one request disagree: an
//! escape that is not `%` and two hex digits, or bytes that are not UTF-8 once decoded,
//! refuse the whole input rather than being passed through or replaced. A request's
//! parameters are read once, into [`Form`], and every later question is asked of it.

use std::fmt;

use crate::protocol::jsonrpc::echo;

/// The longest input read, in bytes. A token request is a few hundred bytes and an
/// authorization request's query at most a few kilobytes (a 2000-character redirect URI,
/// a `state`, a private_key_jwt assertion); anything longer is refused unread.
pub const MAX_BYTES: usize = 16 * 1024;

/// The most `name=value` pairs read. The requests here define about a dozen parameters;
/// unknown ones are allowed (and ignored, OAuth 2.1 §3.1), but not without end.
pub const MAX_PAIRS: usize = 64;

/// Why a form was refused, or why one parameter of it cannot be used. `Display` says what
/// to fix; it names a parameter (cut by [`echo`]) but never repeats a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormError {
    /// The input is longer than [`MAX_BYTES`].
    TooLarge,
    /// The input holds more than [`MAX_PAIRS`] pairs.
    TooManyPairs,
    /// A `%` not followed by two hex digits, in the named parameter (or in a name).
    BadEscape {
        /// The parameter whose name or value holds it, as far as it could be read.
        name: String,
    },
    /// A name or value that is not UTF-8 once decoded.
    NotUtf8 {
        /// The parameter whose name or value it is, as far as it could be read.
        name: String,
    },
    /// A parameter sent more than once (OAuth 2.1 §3.1, §3.2).
    Repeated {
        /// The parameter's name.
        name: String,
    },
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormError::TooLarge => write!(f, "the parameters are longer than {MAX_BYTES} bytes"),
            FormError::TooManyPairs => write!(f, "more than {MAX_PAIRS} parameters were sent"),
            FormError::BadEscape { name } => write!(
                f,
                "the parameter '{}' holds a '%' not followed by two hex digits; percent-encode it",
                echo(name)
            ),
            FormError::NotUtf8 { name } => write!(
                f,
                "the parameter '{}' is not UTF-8 once percent-decoded",
                echo(name)
            ),
            FormError::Repeated { name } => write!(
                f,
                "the parameter '{}' is sent more than once; send it once",
                echo(name)
            ),
        }
    }
}

impl std::error::Error for FormError {}

/// A form's parameters, decoded, in the order sent.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

// Values may be secrets (client_secret, code, code_verifier): a form is never printed.
impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Form")
            .field(
                "names",
                &self.pairs.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Form {
    /// Reads `input`: pairs separated by `&`, a name and a value separated by the first
    /// `=` (no `=`: an empty value), `+` for a space and `%XX` for a byte. Empty pairs
    /// (`a=1&&b=2`) are skipped. A query is given without its `?`.
    pub fn parse(input: &[u8]) -> Result<Form, FormError> {
        if input.len() > MAX_BYTES {
            return Err(FormError::TooLarge);
        }
        let mut pairs = Vec::new();
        for piece in input.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            if pairs.len() == MAX_PAIRS {
                return Err(FormError::TooManyPairs);
            }
            let (name, value) = match piece.iter().position(|&b| b == b'=') {
                Some(i) => (&piece[..i], &piece[i + 1..]),
                None => (piece, &[][..]),
            };
            let name = decode(name).map_err(|e| {
                e.naming(std::str::from_utf8(name).unwrap_or("(a name that is not UTF-8)"))
            })?;
            let value = decode(value).map_err(|e| e.naming(&name))?;
            pairs.push((name, value));
        }
        Ok(Form { pairs })
    }

    /// The one value of `name`: `None` when it is absent or empty (a parameter sent
    /// without a value is treated as omitted, OAuth 2.1 §3.1, §3.2), an error when the
    /// name occurs more than once, even with an empty value, since two readers could then
    /// take different ones (OAuth 2.1 §3.1, §3.2: "MUST NOT be included more than once").
    pub fn get(&self, name: &str) -> Result<Option<&str>, FormError> {
        let mut found = self.pairs.iter().filter(|(n, _)| n == name);
        match (found.next(), found.next()) {
            (Some(_), Some(_)) => Err(FormError::Repeated {
                name: name.to_owned(),
            }),
            (Some((_, v)), None) if !v.is_empty() => Ok(Some(v)),
            _ => Ok(None),
        }
    }

    /// Every non-empty value of `name`, in order: for the parameters an extension lets a
    /// client repeat (RFC 8707 §2 `resource`).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Whether `name` occurs at all, even with an empty value.
    pub fn contains(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, _)| n == name)
    }

    /// The pairs, decoded, in the order sent.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }
}

/// A decoding failure before the parameter's name is known.
enum Decode {
    BadEscape,
    NotUtf8,
}

impl Decode {
    fn naming(self, name: &str) -> FormError {
        let name = name.to_owned();
        match self {
            Decode::BadEscape => FormError::BadEscape { name },
            Decode::NotUtf8 => FormError::NotUtf8 { name },
        }
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one name or value: `+` is a space, `%XX` a byte; the result must be UTF-8.
/// Bytes outside escapes pass as they are (a browser sends raw UTF-8 in a query at times).
fn decode(raw: &[u8]) -> Result<String, Decode> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let (Some(hi), Some(lo)) = (
                    raw.get(i + 1).copied().and_then(hex),
                    raw.get(i + 2).copied().and_then(hex),
                ) else {
                    return Err(Decode::BadEscape);
                };
                out.push(hi << 4 | lo);
                i += 2;
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| Decode::NotUtf8)
}

/// Decodes one form-encoded component on its own (`+` a space, `%XX` a byte, UTF-8):
/// for values that come form-encoded outside a form, as HTTP Basic credentials at the
/// token endpoint do (OAuth 2.1 draft 15 §2.4.1, RFC 6749 §2.3.1). `None` when an escape
/// is malformed or the result is not UTF-8.
pub fn decode_component(raw: &str) -> Option<String> {
    decode(raw.as_bytes()).ok()
}

/// Percent-encodes `value` for a query: every byte but the unreserved characters (RFC 3986
/// §2.3) as `%XX`, a space included (as `%20`, which every form reader decodes).
pub fn encode(value: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

/// `uri` with `params` added to its query, each name and value percent-encoded: after
/// `&` when it already has a query, after `?` when it has none, and before any fragment.
/// The query a redirect URI was registered with is kept (OAuth 2.1 §4.1.2 "retaining" it,
/// §2.3 allows one).
pub fn append_query(uri: &str, params: &[(&str, &str)]) -> String {
    let (base, fragment) = match uri.find('#') {
        Some(i) => uri.split_at(i),
        None => (uri, ""),
    };
    let mut out = String::with_capacity(uri.len() + 64);
    out.push_str(base);
    let mut sep = match base.find('?') {
        None => "?",
        Some(_) if base.ends_with(['?', '&']) => "",
        Some(_) => "&",
    };
    for (name, value) in params {
        out.push_str(sep);
        out.push_str(&encode(name));
        out.push('=');
        out.push_str(&encode(value));
        sep = "&";
    }
    out.push_str(fragment);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Form, FormError> {
        Form::parse(s.as_bytes())
    }

    fn pairs(s: &str) -> Vec<(String, String)> {
        parse(s).unwrap().pairs().to_vec()
    }

    #[test]
    fn plus_is_space_escapes_decode_and_order_is_kept() {
        assert_eq!(
            pairs("b=2&a=x+y&c=%41%2b%20%e2%9c%93&b%5B%5D=&d"),
            [
                ("b".into(), "2".into()),
                ("a".into(), "x y".into()),
                ("c".into(), "A+ \u{2713}".into()),
                ("b[]".into(), "".into()),
                ("d".into(), "".into()),
            ]
        );
        // Only the first '=' separates; empty pieces are skipped.
        assert_eq!(pairs("&&state=a=b&&"), [("state".into(), "a=b".into())]);
        assert_eq!(pairs(""), []);
        // Raw UTF-8 from a browser's query passes.
        assert_eq!(pairs("s=été"), [("s".into(), "été".into())]);
    }

    #[test]
    fn bad_escapes_and_bad_utf8_are_refused_naming_the_parameter() {
        for (input, name) in [
            ("code=%zz", "code"),
            ("code=%4", "code"),
            ("code=ab%", "code"),
            ("code=%+1", "code"),
            ("code=%-1", "code"),
            ("a=1&%g1=2", "%g1"),
        ] {
            assert_eq!(
                parse(input),
                Err(FormError::BadEscape { name: name.into() }),
                "{input}"
            );
        }
        assert_eq!(
            parse("state=%ff%fe"),
            Err(FormError::NotUtf8 {
                name: "state".into()
            })
        );
        // An overlong encoding of '/' is not UTF-8 either.
        assert!(matches!(parse("x=%c0%af"), Err(FormError::NotUtf8 { .. })));
        assert!(matches!(
            Form::parse(b"x=\xff"),
            Err(FormError::NotUtf8 { .. })
        ));
        let text = parse("code_verifier=%zz").unwrap_err().to_string();
        assert!(
            text.contains("'code_verifier'") && text.contains("two hex digits"),
            "{text}"
        );
    }

    #[test]
    fn sizes_are_bounded() {
        let long = format!("a={}", "x".repeat(MAX_BYTES));
        assert_eq!(parse(&long), Err(FormError::TooLarge));
        let at_limit = format!("a={}", "x".repeat(MAX_BYTES - 2));
        assert!(parse(&at_limit).is_ok());
        let many = vec!["a=1"; MAX_PAIRS + 1].join("&");
        assert_eq!(parse(&many), Err(FormError::TooManyPairs));
        let enough = vec!["a=1"; MAX_PAIRS].join("&");
        assert_eq!(parse(&enough).unwrap().pairs().len(), MAX_PAIRS);
    }

    #[test]
    fn empty_is_absent_and_repeated_is_an_error() {
        let form =
            parse("state=&scope=a&scope=b&code=c&resource=r1&resource=&resource=r2&x=&x=").unwrap();
        assert_eq!(form.get("state"), Ok(None));
        assert!(form.contains("state"));
        assert_eq!(form.get("missing"), Ok(None));
        assert!(!form.contains("missing"));
        assert_eq!(form.get("code"), Ok(Some("c")));
        assert_eq!(
            form.get("scope"),
            Err(FormError::Repeated {
                name: "scope".into()
            })
        );
        // Repeated even when both are empty: two readers could still disagree.
        assert!(form.get("x").is_err());
        assert_eq!(form.all("resource").collect::<Vec<_>>(), ["r1", "r2"]);
        let text = form.get("scope").unwrap_err().to_string();
        assert!(text.contains("'scope'") && text.contains("once"), "{text}");
    }

    #[test]
    fn a_forms_debug_shows_names_not_values() {
        let form = parse("client_secret=hunter2&code=abc").unwrap();
        let shown = format!("{form:?}");
        assert!(shown.contains("client_secret"));
        assert!(
            !shown.contains("hunter2") && !shown.contains("abc"),
            "{shown}"
        );
    }

    #[test]
    fn encoding_round_trips_and_keeps_only_unreserved_bytes() {
        let value = "a b+c&d=e%f/g?h#i~j.k_l-m é\"<";
        let encoded = encode(value);
        assert!(encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
        assert_eq!(
            encoded,
            "a%20b%2Bc%26d%3De%25f%2Fg%3Fh%23i~j.k_l-m%20%C3%A9%22%3C"
        );
        let form = Form::parse(format!("v={encoded}").as_bytes()).unwrap();
        assert_eq!(form.get("v"), Ok(Some(value)));
    }

    #[test]
    fn parameters_are_appended_to_any_query_and_before_a_fragment() {
        let p = [("code", "c 1"), ("state", "s&t")];
        assert_eq!(
            append_query("https://a.example/cb", &p),
            "https://a.example/cb?code=c%201&state=s%26t"
        );
        assert_eq!(
            append_query("https://a.example/cb?x=1", &p),
            "https://a.example/cb?x=1&code=c%201&state=s%26t"
        );
        assert_eq!(
            append_query("https://a.example/cb?", &p),
            "https://a.example/cb?code=c%201&state=s%26t"
        );
        assert_eq!(
            append_query("https://a.example/cb?x=1&", &p[..1]),
            "https://a.example/cb?x=1&code=c%201"
        );
        assert_eq!(
            append_query("https://a.example/cb#f", &p[..1]),
            "https://a.example/cb?code=c%201#f"
        );
        assert_eq!(
            append_query("https://a.example/cb", &[]),
            "https://a.example/cb"
        );
    }
}
