//! RFC 6570 URI templates, as far as resource templates use them: parsing a template
//! (written by the server's author, checked at start) and matching a URI (sent by the
//! client) against it to recover the variables.
//!
//! Supported: level 1 simple expansion `{var}` and level 2 reserved `{+var}` and
//! fragment `{#var}` expansion, one variable per expression. A `{var}` matches one or
//! more unreserved characters or percent-escapes (so never a `/`); `{+var}` and `{#var}`
//! match any run of URI characters, `/` included. Values are percent-decoded. Other
//! operators (`{?q}`, `{/p}`, `{.x}`, `{;p}`, `{&q}`), lists and modifiers (`{a,b}`,
//! `{var*}`, `{var:3}`) are refused when the template is checked.

use std::collections::HashSet;

/// The longest URI a client may ask to match (longer ones match nothing).
pub const MAX_URI_LEN: usize = 4096;

/// A parsed template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UriTemplate {
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    Var { name: String, op: Op },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// `{var}`
    Simple,
    /// `{+var}`
    Reserved,
    /// `{#var}`: like reserved, after a `#`.
    Fragment,
}

impl UriTemplate {
    /// Parses `template`, or says what is wrong with it.
    pub fn parse(template: &str) -> Result<UriTemplate, String> {
        let mut parts = Vec::new();
        let mut rest = template;
        let mut names: Vec<&str> = Vec::new();
        while !rest.is_empty() {
            match rest.find(['{', '}']) {
                None => {
                    parts.push(Part::Literal(rest.to_owned()));
                    break;
                }
                Some(i) if rest.as_bytes()[i] == b'}' => {
                    return Err(format!("a '}}' without its '{{' at {:?}", &rest[i..]));
                }
                Some(i) => {
                    if i > 0 {
                        parts.push(Part::Literal(rest[..i].to_owned()));
                    }
                    let after = &rest[i + 1..];
                    let end = after
                        .find('}')
                        .ok_or_else(|| "a '{' without its '}'".to_owned())?;
                    let expr = &after[..end];
                    let (op, name) = match expr.as_bytes().first() {
                        Some(b'+') => (Op::Reserved, &expr[1..]),
                        Some(b'#') => (Op::Fragment, &expr[1..]),
                        Some(c) if b"./;?&=,!@|".contains(c) => {
                            return Err(format!(
                                "the operator in {{{expr}}} is not supported; use {{name}}, {{+name}} or {{#name}}"
                            ))
                        }
                        _ => (Op::Simple, expr),
                    };
                    let valid = !name.is_empty()
                        && name
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
                    if !valid {
                        return Err(format!(
                            "{{{expr}}}: a variable name is one or more of A-Z a-z 0-9 _ . (no lists, no modifiers)"
                        ));
                    }
                    if names.contains(&name) {
                        return Err(format!("the variable {name} appears twice"));
                    }
                    names.push(name);
                    parts.push(Part::Var {
                        name: name.to_owned(),
                        op,
                    });
                    rest = &after[end + 1..];
                }
            }
        }
        if names.is_empty() {
            return Err(
                "a template has at least one {variable}; without one, register a resource".into(),
            );
        }
        Ok(UriTemplate { parts })
    }

    /// The variables' names, in order.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var { name, .. } => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// The variables of `uri` when it matches, percent-decoded, in template order.
    pub fn matches(&self, uri: &str) -> Option<Vec<(String, String)>> {
        if uri.len() > MAX_URI_LEN {
            return None;
        }
        let mut found = Vec::new();
        let mut failed = HashSet::new();
        if !self.match_from(0, uri, 0, &mut found, &mut failed) {
            return None;
        }
        found
            .into_iter()
            .map(|(name, raw)| Some((name.to_owned(), percent_decode(raw)?)))
            .collect()
    }

    /// Matches `parts[i..]` against `uri[pos..]`. `failed` remembers (part, position)
    /// pairs already known not to match, so no URI costs more than parts × length².
    fn match_from<'a>(
        &'a self,
        i: usize,
        uri: &'a str,
        pos: usize,
        found: &mut Vec<(&'a str, &'a str)>,
        failed: &mut HashSet<(usize, usize)>,
    ) -> bool {
        let Some(part) = self.parts.get(i) else {
            return pos == uri.len();
        };
        if failed.contains(&(i, pos)) {
            return false;
        }
        let rest = &uri[pos..];
        let ok = match part {
            Part::Literal(lit) => {
                rest.starts_with(lit.as_str())
                    && self.match_from(i + 1, uri, pos + lit.len(), found, failed)
            }
            Part::Var { name, op } => {
                let (skip, allowed): (usize, fn(u8) -> bool) = match op {
                    Op::Simple => (0, is_unreserved_or_pct),
                    Op::Reserved => (0, is_uri_char),
                    Op::Fragment if rest.starts_with('#') => (1, is_uri_char),
                    Op::Fragment => return false,
                };
                let start = pos + skip;
                let run = uri.as_bytes()[start..]
                    .iter()
                    .take_while(|b| allowed(**b))
                    .count();
                // Longest first: a greedy match is what a reader of the template expects.
                (1..=run).rev().any(|len| {
                    // Stop on a character boundary (the allowed bytes are ASCII).
                    found.push((name.as_str(), &uri[start..start + len]));
                    if self.match_from(i + 1, uri, start + len, found, failed) {
                        return true;
                    }
                    found.pop();
                    false
                })
            }
        };
        if !ok {
            failed.insert((i, pos));
        }
        ok
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~".contains(&b)
}

fn is_unreserved_or_pct(b: u8) -> bool {
    is_unreserved(b) || b == b'%'
}

/// Unreserved, reserved (RFC 3986 gen-delims and sub-delims) and `%`.
fn is_uri_char(b: u8) -> bool {
    is_unreserved(b) || b"%:/?#[]@!$&'()*+,;=".contains(&b)
}

/// Decodes `%XX` escapes; `None` when one is malformed or the bytes are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(template: &str, uri: &str) -> Option<Vec<(String, String)>> {
        UriTemplate::parse(template).unwrap().matches(uri)
    }

    fn pairs(p: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
        Some(
            p.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        )
    }

    #[test]
    fn simple_variables_match_one_segment() {
        let t = "test://template/{id}/data";
        assert_eq!(vars(t, "test://template/123/data"), pairs(&[("id", "123")]));
        assert_eq!(
            vars(t, "test://template/a%20b/data"),
            pairs(&[("id", "a b")])
        );
        for no in [
            "test://template//data",
            "test://template/1/2/data",
            "test://template/123/dat",
            "test://template/123/data/",
            "other://template/123/data",
            "",
        ] {
            assert_eq!(vars(t, no), None, "{no}");
        }
    }

    #[test]
    fn reserved_variables_match_slashes() {
        let t = "file:///{+path}";
        assert_eq!(
            vars(t, "file:///src/main.rs"),
            pairs(&[("path", "src/main.rs")])
        );
        assert_eq!(
            vars("docs://{+path}.md", "docs://a/b.c.md"),
            pairs(&[("path", "a/b.c")])
        );
        assert_eq!(vars("x://a{#frag}", "x://a#top"), pairs(&[("frag", "top")]));
        assert_eq!(vars("x://a{#frag}", "x://atop"), None);
    }

    #[test]
    fn several_variables_and_bad_escapes() {
        let t = "weather://{city}/{day}";
        assert_eq!(
            vars(t, "weather://paris/monday"),
            pairs(&[("city", "paris"), ("day", "monday")])
        );
        assert_eq!(vars(t, "weather://paris/%zz"), None);
        assert_eq!(vars(t, "weather://paris/%ff"), None, "not UTF-8");
        assert_eq!(vars(t, "weather://paris/%"), None);
        assert_eq!(vars(t, "weather://pa ris/x"), None);
        assert_eq!(vars(t, "weather://paris/é"), None, "not escaped");
    }

    #[test]
    fn long_or_adversarial_uris_stay_cheap() {
        let t = UriTemplate::parse("x://{+a}{+b}{+c}{+d}/end").unwrap();
        let uri = format!("x://{}", "a".repeat(MAX_URI_LEN - 4));
        assert_eq!(t.matches(&uri), None);
        assert_eq!(t.matches(&"a".repeat(MAX_URI_LEN + 1)), None);
    }

    #[test]
    fn bad_templates_say_what_is_wrong() {
        for (bad, says) in [
            ("x://{a", "without its '}'"),
            ("x://a}", "without its '{'"),
            ("x://{}", "variable name"),
            ("x://{a,b}", "no lists"),
            ("x://{a*}", "no modifiers"),
            ("x://{?q}", "not supported"),
            ("x://{/p}", "not supported"),
            ("x://{a}/{a}", "twice"),
            ("x://plain", "at least one"),
        ] {
            let err = UriTemplate::parse(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
