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

use crate::protocol::uri::is_uri_char;

/// The longest URI a client may ask to match (longer ones match nothing).
pub const MAX_URI_LEN: usize = 4096;

/// A parsed RFC 6570 template, as far as resource templates use them: level 1 simple
/// expansion `{var}` and level 2 reserved `{+var}` and fragment `{#var}` expansion, one
/// variable per expression. A `{var}` matches one or more unreserved characters or
/// percent-escapes (so never a `/`); `{+var}` and `{#var}` match any run of URI
/// characters, `/` included. Values are percent-decoded. Other operators (`{?q}`,
/// `{/p}`, `{.x}`, `{;p}`, `{&q}`), lists and modifiers (`{a,b}`, `{var*}`, `{var:3}`)
/// are refused when the server's templates are checked.
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
        self.matches_counting(uri, &mut 0)
    }

    /// [`matches`](Self::matches), adding to `steps` one per (part, position) the matcher
    /// looks at, so a test can bound its cost without a clock.
    ///
    /// A URI is chosen by the client and a template may hold several greedy `{+var}`s, so
    /// matching is a table, not a backtracking search: for each part from the last to the
    /// first, which positions of `uri` the rest of the template matches from (a bitset).
    /// A variable matches from `pos` when some end within its run of allowed characters
    /// is such a position, found by a sweep from the right in one step per position. Then
    /// one walk from the left takes, for each variable, the longest end that lets the rest
    /// match (greedy, as a reader of the template expects). The cost is parts × length
    /// steps (a literal's comparison, bounded by the template, aside).
    fn matches_counting(&self, uri: &str, steps: &mut usize) -> Option<Vec<(String, String)>> {
        if uri.len() > MAX_URI_LEN {
            return None;
        }
        // Most misses (another template's scheme) end here, before any table is built.
        if let Some(Part::Literal(lit)) = self.parts.first() {
            if !uri.starts_with(lit.as_str()) {
                return None;
            }
        }
        if let Some(Part::Literal(lit)) = self.parts.last() {
            if !uri.ends_with(lit.as_str()) {
                return None;
            }
        }
        let bytes = uri.as_bytes();
        let len = bytes.len();
        let n = self.parts.len();
        let mut ok = Bits::new(n + 1, len + 1);
        ok.set(n, len);
        let mut runs = Runs::default();
        for i in (0..n).rev() {
            match &self.parts[i] {
                Part::Literal(lit) => {
                    for pos in 0..=len {
                        *steps += 1;
                        if bytes[pos..].starts_with(lit.as_bytes())
                            && ok.get(i + 1, pos + lit.len())
                        {
                            ok.set(i, pos);
                        }
                    }
                }
                Part::Var { op, .. } => {
                    let run = runs.of(*op, bytes, steps);
                    let skip = op.skip();
                    // The nearest position after `start` the rest matches from.
                    let mut next = usize::MAX;
                    for pos in (0..=len).rev() {
                        *steps += 1;
                        let start = pos + skip;
                        if start < len && ok.get(i + 1, start + 1) {
                            next = start + 1;
                        }
                        if start > len || (skip == 1 && bytes[pos] != b'#') {
                            continue;
                        }
                        if next <= start + run[start] {
                            ok.set(i, pos);
                        }
                    }
                }
            }
        }
        if !ok.get(0, 0) {
            return None;
        }
        let mut found = Vec::new();
        let mut pos = 0;
        for (i, part) in self.parts.iter().enumerate() {
            match part {
                Part::Literal(lit) => pos += lit.len(),
                Part::Var { name, op } => {
                    let start = pos + op.skip();
                    let run = runs.of(*op, bytes, steps);
                    // Longest first; one exists, as the table said so.
                    let mut end = start + run[start];
                    while end > start && !ok.get(i + 1, end) {
                        *steps += 1;
                        end -= 1;
                    }
                    // The allowed bytes are ASCII, so `start..end` are character boundaries.
                    found.push((name.clone(), percent_decode(&uri[start..end])?));
                    pos = end;
                }
            }
        }
        Some(found)
    }
}

impl Op {
    /// The bytes before the value: the `#` of a fragment.
    fn skip(self) -> usize {
        match self {
            Op::Fragment => 1,
            Op::Simple | Op::Reserved => 0,
        }
    }
}

/// One bit per (part, position).
struct Bits {
    words: Vec<u64>,
    row: usize,
}

impl Bits {
    fn new(rows: usize, cols: usize) -> Bits {
        let row = cols.div_ceil(64);
        Bits {
            words: vec![0; rows * row],
            row,
        }
    }
    fn get(&self, i: usize, pos: usize) -> bool {
        self.words[i * self.row + pos / 64] & (1 << (pos % 64)) != 0
    }
    fn set(&mut self, i: usize, pos: usize) {
        self.words[i * self.row + pos / 64] |= 1 << (pos % 64);
    }
}

/// For each position, how many characters from it on a variable may take: computed once
/// per kind of variable, when a template has one.
#[derive(Default)]
struct Runs {
    simple: Option<Vec<usize>>,
    reserved: Option<Vec<usize>>,
}

impl Runs {
    fn of(&mut self, op: Op, bytes: &[u8], steps: &mut usize) -> &[usize] {
        let (slot, allowed): (_, fn(u8) -> bool) = match op {
            Op::Simple => (&mut self.simple, is_unreserved_or_pct),
            Op::Reserved | Op::Fragment => (&mut self.reserved, is_uri_char),
        };
        slot.get_or_insert_with(|| {
            let mut run = vec![0; bytes.len() + 1];
            for p in (0..bytes.len()).rev() {
                *steps += 1;
                if allowed(bytes[p]) {
                    run[p] = run[p + 1] + 1;
                }
            }
            run
        })
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~".contains(&b)
}

fn is_unreserved_or_pct(b: u8) -> bool {
    is_unreserved(b) || b == b'%'
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

    /// The matcher's cost is counted, not timed: at most a few steps per (part, position),
    /// for URIs made to make a backtracking matcher try every split.
    #[test]
    fn long_or_adversarial_uris_stay_cheap() {
        let long = |unit: &str, n: usize| unit.repeat(n);
        for (template, uri, matches) in [
            (
                "x://{+a}{+b}{+c}{+d}/end",
                format!("x://{}", long("a", 4092)),
                false,
            ),
            (
                "x://{+a}{+b}{+c}{+d}/end",
                format!("x://{}/end", long("a", 4088)),
                true,
            ),
            (
                "docs://{+a}/{+b}.md",
                format!("docs://{}", long("a/", 2040)),
                false,
            ),
            (
                "docs://{+a}/{+b}.md",
                format!("docs://{}.md", long("a/", 2040)),
                true,
            ),
            (
                "x://{a}{b}{c}/{+d}{#e}",
                format!("x://{}", long("ab", 2000)),
                false,
            ),
            (
                "x://{+a}#{b}{#c}",
                format!("x://{}", long("#b", 2000)),
                true,
            ),
            (
                "x://{+a}#{b}{#c}",
                format!("x://{} ", long("#b", 2000)),
                false,
            ),
        ] {
            let t = UriTemplate::parse(template).unwrap();
            let mut steps = 0;
            let got = t.matches_counting(&uri, &mut steps);
            assert_eq!(got.is_some(), matches, "{template}");
            let bound = 3 * (t.parts.len() + 1) * (uri.len() + 1);
            assert!(steps <= bound, "{template}: {steps} steps, over {bound}");
        }
        let t = UriTemplate::parse("x://{+a}").unwrap();
        assert_eq!(t.matches(&format!("x://{}", long("a", MAX_URI_LEN))), None);
    }

    /// The plain backtracking search the table replaces: exponential, but obviously right.
    fn naive<'a>(parts: &'a [Part], uri: &'a str, out: &mut Vec<(&'a str, &'a str)>) -> bool {
        let Some((part, rest)) = parts.split_first() else {
            return uri.is_empty();
        };
        match part {
            Part::Literal(lit) => uri
                .strip_prefix(lit.as_str())
                .is_some_and(|u| naive(rest, u, out)),
            Part::Var { name, op } => {
                let (u, allowed): (&str, fn(u8) -> bool) = match op {
                    Op::Simple => (uri, is_unreserved_or_pct),
                    Op::Reserved => (uri, is_uri_char),
                    Op::Fragment => match uri.strip_prefix('#') {
                        Some(u) => (u, is_uri_char),
                        None => return false,
                    },
                };
                let run = u.bytes().take_while(|b| allowed(*b)).count();
                (1..=run).rev().any(|n| {
                    out.push((name.as_str(), &u[..n]));
                    naive(rest, &u[n..], out) || {
                        out.pop();
                        false
                    }
                })
            }
        }
    }

    #[test]
    fn the_table_agrees_with_a_backtracking_search() {
        let templates = [
            "x://{a}",
            "x://{+a}/{b}",
            "x://{+a}{+b}.md",
            "x://{a}{#b}",
            "x://{+a}#{b}{#c}",
            "x://{a}.{b}",
            "{+a}/{+b}/{c}",
        ];
        let alphabet = b"a/#.ab%";
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let t = UriTemplate::parse(templates[(seed >> 33) as usize % templates.len()]).unwrap();
            let n = (seed >> 20) as usize % 10;
            let tail: String = (0..n)
                .map(|k| alphabet[(seed >> (3 * k)) as usize % alphabet.len()] as char)
                .collect();
            let uri = if (seed >> 60) % 2 == 0 {
                format!("x://{tail}")
            } else {
                tail
            };
            let mut want = Vec::new();
            let want = naive(&t.parts, &uri, &mut want)
                .then_some(want)
                .and_then(|w| {
                    w.into_iter()
                        .map(|(k, v)| Some((k.to_owned(), percent_decode(v)?)))
                        .collect::<Option<Vec<_>>>()
                });
            assert_eq!(t.matches(&uri), want, "{:?} {uri:?}", t.parts);
        }
    }

    #[test]
    fn greedy_variables_take_the_longest_value_the_rest_allows() {
        assert_eq!(
            vars("docs://{+a}/{+b}.md", "docs://x/y/z.md.md"),
            pairs(&[("a", "x/y"), ("b", "z.md")])
        );
        assert_eq!(
            vars("x://{a}{b}", "x://abc"),
            pairs(&[("a", "ab"), ("b", "c")])
        );
        assert_eq!(
            vars("x://{+p}{#f}", "x://a/b#c#d"),
            pairs(&[("p", "a/b#c"), ("f", "d")])
        );
        assert_eq!(vars("x://{a}{#f}", "x://a#"), None, "an empty fragment");
        assert_eq!(vars("x://{a}/", "x://a"), None);
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
