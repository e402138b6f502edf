//! Content negotiation (`Accept`) and the one-event SSE answer.

use super::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Sse,
}

#[cfg(any(test, feature = "unstable"))]
/// Picks the response format from `Accept`: JSON when allowed (or when the header is
/// absent), else a one-event SSE stream when only that is allowed, else none (406).
pub fn negotiate(accept: Option<&str>) -> Option<Format> {
    format_of(accepted(accept))
}

pub(super) fn format_of((json, sse): (bool, bool)) -> Option<Format> {
    if json {
        Some(Format::Json)
    } else if sse {
        Some(Format::Sse)
    } else {
        None
    }
}

/// The `Accept` of nearly every POST: [`accepted`] knows its answer.
pub(super) const COMMON_ACCEPT: &str = "application/json, text/event-stream";

/// Whether `Accept` allows `application/json` and `text/event-stream` (a q-value above 0),
/// each from its most specific matching range, in one pass. No (or a blank) header
/// accepts JSON only.
pub(super) fn accepted(accept: Option<&str>) -> (bool, bool) {
    // What the MCP SDKs and OpenAI's client send (2025-11-25 basic/transports: a POST lists
    // both types), answered without parsing: the full parse cost 4,000 instructions per
    // request in workerd. A unit test holds that both give the same answer.
    if accept == Some(COMMON_ACCEPT) {
        return (true, true);
    }
    parse_accept(accept)
}

/// [`accepted`], parsed.
pub(super) fn parse_accept(accept: Option<&str>) -> (bool, bool) {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return (true, false);
    };
    // (specificity, q > 0) of the best range so far, for JSON and for SSE.
    let mut best: [Option<(u8, bool)>; 2] = [None, None];
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim();
        let Some((t, s)) = media.split_once('/') else {
            continue;
        };
        let mut q = None;
        for (i, (ty, subtype)) in [("application", "json"), ("text", "event-stream")]
            .into_iter()
            .enumerate()
        {
            let specificity = match (t, s) {
                _ if t.eq_ignore_ascii_case(ty) && s.eq_ignore_ascii_case(subtype) => 2,
                _ if t.eq_ignore_ascii_case(ty) && s == "*" => 1,
                ("*", "*") => 0,
                _ => continue,
            };
            if best[i].is_none_or(|(spec, _)| specificity > spec) {
                let q = *q.get_or_insert_with(|| {
                    // The range's weight is its first `q=`.
                    parts
                        .clone()
                        .find_map(|p| q_value(p.trim()))
                        .and_then(|q| q_is_positive(q.trim()))
                        .unwrap_or(true)
                });
                best[i] = Some((specificity, q));
            }
        }
    }
    let q = |b: Option<(u8, bool)>| b.is_some_and(|(_, q)| q);
    (q(best[0]), q(best[1]))
}

/// The value of a `q=` parameter (the name in any case, as ABNF's literals are: RFC 5234
/// section 2.3).
fn q_value(param: &str) -> Option<&str> {
    let (name, value) = param.split_at_checked(2)?;
    name.eq_ignore_ascii_case("q=").then_some(value)
}

/// Whether a q-value is above 0, or `None` when it is not one: `qvalue = ( "0" [ "."
/// 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` (RFC 9110 section 12.4.2). A range whose
/// q-value is malformed counts as unweighted (q=1). Only "above 0" matters here, so the
/// value is never read as a number (a float parser is about 17 KB of the wasm).
pub(super) fn q_is_positive(q: &str) -> Option<bool> {
    let (int, frac) = q.split_once('.').unwrap_or((q, ""));
    let valid = frac.len() <= 3
        && match int {
            "0" => frac.bytes().all(|b| b.is_ascii_digit()),
            "1" => frac.bytes().all(|b| b == b'0'),
            _ => false,
        };
    valid.then(|| int == "1" || frac.bytes().any(|b| b != b'0'))
}

/// One SSE event carrying one JSON-RPC message.
pub fn sse_event(message: &Message) -> Vec<u8> {
    let bytes = message.bytes();
    let mut event = Vec::with_capacity(bytes.len() + 23);
    event.extend_from_slice(b"event: message\ndata: ");
    event.extend_from_slice(bytes);
    event.extend_from_slice(b"\n\n");
    event
}

pub(super) fn sse_headers(response: Response) -> Response {
    response
        .with("content-type", "text/event-stream")
        .with("cache-control", "no-cache")
        // Proxies must pass each event on at once (2026-07-28 basic/transports).
        .with("x-accel-buffering", "no")
}

pub(super) fn sse(status: u16, message: &Message) -> Response {
    sse_headers(Response::new(status)).with_body(sse_event(message))
}
