// What each fuzz target feeds the server and what must hold of the answer. Shared by the
// cargo-fuzz targets (fuzz/fuzz_targets/) and by the host test that replays the seed
// corpora and every saved crash (tests/fuzz_regressions.rs). A check panics when an
// invariant breaks; the server itself must never panic.

use std::sync::OnceLock;

use mcp_worker::auth::keys::KeySet;
use mcp_worker::auth::policy::{ClaimPolicy, TokenClaims};
use mcp_worker::auth::{AuthError, Authenticator};
use mcp_worker::config::Config;
use mcp_worker::http::{Body, HttpRequest};
use serde::Deserialize;
use serde_json::Value;

pub const NOW: i64 = 1_800_000_000;

/// One fuzz check: takes the raw input, panics when an invariant breaks.
pub type Check = fn(&[u8]);

/// The targets, by name: the folder names under fuzz/seeds and fuzz/regressions.
pub const TARGETS: [(&str, Check); 22] = [
    ("http_request", http_request),
    ("bearer_token", bearer_token),
    ("token_claims", token_claims),
    ("key_material", key_material),
    ("key_der", key_der),
    ("task_request", task_request),
    ("uri_template", uri_template),
    ("param_headers", param_headers),
    ("skill_uri", skill_uri),
    ("jsonrpc_envelope", jsonrpc_envelope),
    ("calls_a_tool", calls_a_tool),
    ("oauth_form", oauth_form),
    ("oauth_authorization", oauth_authorization),
    ("oauth_token", oauth_token),
    ("registration_request", registration_request),
    ("metadata_document", metadata_document),
    ("client_id_url", client_id_url),
    ("grant_token", grant_token),
    ("sealed_value", sealed_value),
    ("session_cookie", session_cookie),
    ("oauth_endpoints", oauth_endpoints),
    ("typed_args", typed_args),
];

// The authorization server in the worker as the host tests drive it (a fake OpenID
// provider, grants in memory, the browser's steps).
#[path = "../tests/oauth_host/mod.rs"]
mod oauth_host;

fn open_config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        Config::from_vars(&dice_mcp::SERVER, |name| {
            (name == "ALLOW_UNAUTHENTICATED").then(|| "true".to_owned())
        })
        .expect("the fuzz configuration is valid")
    })
}

/// A POST body, read by the envelope's fast reader and by the full path: whatever the
/// fast reader takes, the full path takes too and reads the same id, method and params.
/// Any params it reads are written back by `wire::write_value` as serde_json writes them.
pub fn jsonrpc_envelope(data: &[u8]) {
    if let Some(fast) = mcp_worker::mcp::envelope::read_envelope(data, true) {
        let full = mcp_worker::mcp::envelope::read_envelope(data, false);
        assert_eq!(Some(&fast), full.as_ref(), "the two readers disagree");
        if let Some(params) = fast.2 {
            let params = Value::Object(params);
            let mut ours = Vec::new();
            mcp_worker::protocol::wire::write_value(&mut ours, &params);
            let theirs = serde_json::to_vec(&params).expect("a Value serialises");
            assert_eq!(ours, theirs, "write_value and serde_json disagree");
        }
    }
}

/// A POST body, as the per-caller rate limit asks whether it calls a tool: the envelope's
/// reader (or, failing it, a `Value` tree) says what a `Value` tree says.
pub fn calls_a_tool(data: &[u8]) {
    let answer = mcp_worker::mcp::post::PostBody::new(data).calls_a_tool();
    let tree = mcp_worker::mcp::post::calls_a_tool_by_tree(data);
    assert_eq!(
        answer, tree,
        "the envelope's reader and the Value tree disagree"
    );
}

/// A whole HTTP request in a readable form: a first line `METHOD PATH`, then `name: value`
/// header lines, a blank line, and the body. Bytes that are not UTF-8 in the head are
/// replaced; the body goes through as bytes.
pub fn http_request(data: &[u8]) {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data, &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.lines();
    let (method, path) = lines
        .next()
        .unwrap_or("")
        .split_once(' ')
        .unwrap_or(("POST", "/mcp/"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let req = HttpRequest {
        method: method.to_owned(),
        base_url: "http://127.0.0.1:8787".into(),
        path: path.to_owned(),
        query: String::new(),
        headers,
        body: Body::Bytes(body.to_vec()),
    };
    let res = mcp_worker::testing::handle(&dice_mcp::SERVER, open_config(), &req, NOW);

    // The worker takes from the runtime only the headers the server reads, and three of
    // them only when they can matter (`http::HeaderNames`, the adapter's glue): the same
    // request with only those is answered the same.
    let names = mcp_worker::http::request_header_names(&dice_mcp::SERVER);
    let version = req.headers.get("mcp-protocol-version");
    let taken = req
        .headers
        .iter()
        .filter(|&(n, _)| names.takes(&req.method, version, n))
        .collect();
    let seen = mcp_worker::testing::handle(
        &dice_mcp::SERVER,
        open_config(),
        &HttpRequest {
            headers: taken,
            ..req.clone()
        },
        NOW,
    );
    assert_eq!(
        (seen.status, &seen.log),
        (res.status, &res.log),
        "the headers the worker does not take changed the answer"
    );

    // The adapter's side: the same head as its glue writes it, read back, and the URL cut.
    let mut glue = format!("{method}\nhttp://127.0.0.1:8787{path}\n");
    for (name, value) in req.headers.iter() {
        glue.push_str(&format!("{name}\n{value}\n"));
    }
    // No line here holds a line break (they came from `lines()`), as in the Fetch API.
    let (m, url, read) = mcp_worker::http::read_head(&glue);
    assert_eq!(m, method);
    assert_eq!(read, req.headers);
    assert!(mcp_worker::http::path_of(url).starts_with('/'));
    assert!(mcp_worker::http::path_of(path).starts_with('/'));
    let _ = mcp_worker::http::origin_of(path);

    // No 401 (this configuration asks for no token) and no 5xx: nothing here may fail.
    const STATUSES: [u16; 10] = [200, 202, 204, 400, 403, 404, 405, 406, 413, 415];
    assert!(
        STATUSES.contains(&res.status),
        "unexpected status {}",
        res.status
    );
    for (name, value) in &res.headers {
        // workerd refuses other header values, which would turn the answer into a 500.
        assert!(
            value
                .bytes()
                .all(|b| b == b'\t' || (0x20..0x7f).contains(&b)),
            "header {name} is not printable ASCII: {value:?}"
        );
    }
    match res.header("content-type") {
        Some("application/json") => {
            let v: Value = serde_json::from_slice(&res.body).expect("a JSON body");
            if let Some(msg) = v.as_object().filter(|o| o.contains_key("jsonrpc")) {
                assert_eq!(msg["jsonrpc"], "2.0");
                assert!(msg.contains_key("result") ^ msg.contains_key("error"));
            }
        }
        Some("text/event-stream") => {
            let text = std::str::from_utf8(&res.body).expect("UTF-8 SSE");
            let data = text
                .strip_prefix("event: message\ndata: ")
                .and_then(|t| t.strip_suffix("\n\n"))
                .expect("one SSE event");
            serde_json::from_str::<Value>(data).expect("JSON in the event");
        }
        None => assert!(res.body.is_empty(), "a body without a content type"),
        Some(other) => panic!("unexpected content type {other}"),
    }
    let line = res.log.to_line(&req.method, &req.path, Some(1));
    assert!(!line.contains('\n'), "a log record is one line");
    let record: Value = serde_json::from_str(&line).expect("the log line is JSON");
    assert_eq!(record["status"], res.status);
}

fn authenticator() -> &'static Authenticator {
    static AUTH: OnceLock<Authenticator> = OnceLock::new();
    AUTH.get_or_init(|| {
        let (keys, _) = KeySet::parse(include_str!("public-key.txt")).expect("the fuzz key");
        Authenticator::new(Some(keys), None, policy())
    })
}

fn policy() -> ClaimPolicy {
    ClaimPolicy {
        audiences: vec!["dice-server".into()],
        issuer: None,
        required_scopes: Vec::new().into(),
        leeway_secs: 60,
    }
}

/// An `Authorization` header value checked against a real key whose private half nobody
/// has: no input can authenticate, so any `Ok` is a forgery the server accepted.
pub fn bearer_token(data: &[u8]) {
    let header = String::from_utf8_lossy(data);
    match authenticator().authenticate(Some(&header), NOW) {
        Ok(a) => panic!("a token without a valid signature was accepted: {a:?}"),
        Err(
            e @ (AuthError::KeysUnavailable
            | AuthError::VerifierFailed
            | AuthError::InsufficientScope { .. }),
        ) => {
            panic!("impossible refusal for a static key and no required scopes: {e:?}")
        }
        Err(e) => {
            let text = e.to_string();
            assert!(!text.is_empty() && text.len() < 400, "reason: {text:?}");
        }
    }
}

/// A token payload, as it is read after a signature has verified (`TokenClaims::parse`),
/// against jwt-compact's reading of the same claims (the same claims, or both refuse),
/// then judged by the claim policy.
/// Whatever it accepts must really be in force and for this audience.
pub fn token_claims(data: &[u8]) {
    let ours = TokenClaims::parse(data);
    let theirs =
        serde_json::from_slice::<jwt_compact::Claims<serde_json::Map<String, Value>>>(data);
    match (&ours, &theirs) {
        (Some(o), Ok(t)) => {
            assert_eq!(o.expiration, t.expiration.map(|t| t.timestamp()), "exp");
            assert_eq!(o.not_before, t.not_before.map(|t| t.timestamp()), "nbf");
            assert_eq!(o.issued_at, t.issued_at.map(|t| t.timestamp()), "iat");
            assert_eq!(o.custom, t.custom, "the other claims");
        }
        (None, Err(_)) => {}
        (None, Ok(t)) => panic!("refused claims jwt-compact reads: {t:?}"),
        (Some(o), Err(e)) => panic!("read claims jwt-compact refuses ({e}): {o:?}"),
    }
    let Some(claims) = ours else {
        return;
    };
    let Ok((_, exp)) = policy().check(&claims, NOW) else {
        return;
    };
    assert!(exp > NOW, "accepted a token that expired at {exp}");
    let raw: Value = serde_json::from_slice(data).expect("parsed once already");
    let raw_exp = raw["exp"]
        .as_f64()
        .expect("an accepted token has a numeric exp");
    assert!(
        raw_exp > NOW as f64,
        "accepted a token whose exp {raw_exp} has passed"
    );
    let aud_ok = match &raw["aud"] {
        Value::String(a) => a == "dice-server",
        Value::Array(list) => list.iter().any(|a| a == "dice-server"),
        _ => false,
    };
    assert!(
        aud_ok,
        "accepted a token for another audience: {}",
        raw["aud"]
    );
    for field in ["nbf", "iat"] {
        if let Some(t) = raw.get(field).and_then(Value::as_i64) {
            assert!(t <= NOW + 60, "accepted a future {field}");
        }
    }
}

/// Key material as an operator might paste it into JWT_PUBLIC_KEY, or as a JWKS URL
/// might return it.
pub fn key_material(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok((set, _warnings)) = KeySet::parse(text) {
        assert!(
            (1..=mcp_worker::auth::keys::MAX_KEYS).contains(&set.len()),
            "a key set of {} keys",
            set.len()
        );
    }
}

/// The DER reader behind PEM keys (src/auth/keys/der.rs) against the `rsa` crate's own
/// DER decoders, which the host still links: both accept the same PKCS#1 and SPKI
/// structures and read the same numbers, and ours never panics.
pub fn key_der(data: &[u8]) {
    use mcp_worker::auth::keys::der;
    use rsa::pkcs8::der::{asn1::AnyRef, asn1::Null, Decode};
    use rsa::pkcs8::SubjectPublicKeyInfoRef;

    fn unpadded(mut b: &[u8]) -> &[u8] {
        while let [0, rest @ ..] = b {
            b = rest;
        }
        b
    }
    fn agree(
        what: &str,
        ours: Result<der::RsaParts<'_>, der::DerError>,
        theirs: Option<(&[u8], &[u8])>,
    ) {
        match (ours, theirs) {
            (Ok(p), Some((n, e))) => {
                assert_eq!(p.n, unpadded(n), "{what}: the modulus");
                assert_eq!(p.e, unpadded(e), "{what}: the exponent");
                assert!(p.n.first() != Some(&0) && p.e.first() != Some(&0));
            }
            (Err(_), None) => {}
            (ours, theirs) => panic!("{what}: ours {ours:?}, the rsa crate's {theirs:?}"),
        }
    }
    if data.len() > der::MAX_DER_BYTES {
        assert_eq!(der::pkcs1(data), Err(der::DerError::TooLong));
        assert_eq!(der::spki(data), Err(der::DerError::TooLong));
        return;
    }
    let pkcs1 = |bytes| rsa::pkcs1::RsaPublicKey::from_der(bytes).ok();
    agree(
        "PKCS#1",
        der::pkcs1(data),
        pkcs1(data).map(|k| (k.modulus.as_bytes(), k.public_exponent.as_bytes())),
    );
    // What `rsa`'s `from_public_key_der` checks before the numbers.
    let spki = SubjectPublicKeyInfoRef::from_der(data).ok().filter(|s| {
        s.algorithm.oid == rsa::pkcs1::ALGORITHM_OID
            && s.algorithm.parameters == Some(AnyRef::from(Null))
    });
    let inner = spki
        .as_ref()
        .and_then(|s| s.subject_public_key.as_bytes())
        .and_then(pkcs1);
    agree(
        "SPKI",
        der::spki(data),
        inner.map(|k| (k.modulus.as_bytes(), k.public_exponent.as_bytes())),
    );
}

mod task_server {
    use mcp_worker::mcp::Server;
    use mcp_worker::testing::MemoryTasks;
    use mcp_worker::tools::{
        Context, InputRequest, NoArgs, Registry, TaskSupport, Tool, ToolError,
    };

    /// A task tool that asks one question.
    pub struct Ask;
    impl Tool for Ask {
        const NAME: &'static str = "ask";
        const DESCRIPTION: &'static str = "asks, as a task";
        const TASK_SUPPORT: TaskSupport = TaskSupport::Required;
        const ASKS_FOR_INPUT: bool = true;
        type Args = NoArgs;
        type Output = String;
        async fn call(&self, _: NoArgs, ctx: &Context) -> Result<String, ToolError> {
            let form = serde_json::json!({"type": "object", "properties": {}});
            let answer = ctx.input("q", InputRequest::elicit("ok?", form))?;
            Ok(answer.to_string())
        }
    }

    pub static TOOLS: Registry = Registry::new(&[&Ask]);
    static TASKS: MemoryTasks = MemoryTasks {
        tools: &TOOLS,
        bound: true,
    };
    pub static SERVER: Server = Server::new("fuzz-tasks", "0").tools(&TOOLS).tasks(&TASKS);
}

/// A 2026-07-28 request to a server with tasks (kept in memory), one task of which is
/// waiting for input. `TASK_ID` in the input stands for that task's id. Headers mirror the
/// body, so the task methods' own parsing is reached. A successful `tasks/get` must be of
/// that task, and nothing may panic.
pub fn task_request(data: &[u8]) {
    use mcp_worker::mcp::post::{self, PostOutcome};
    use mcp_worker::protocol::McpHeaders;
    use mcp_worker::testing::{block_on, set_clock_ms, MemoryTasks};
    use std::rc::Rc;

    thread_local! {
        static TASK: String = {
            set_clock_ms(NOW as u64 * 1000);
            let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
                "name": "ask", "arguments": {},
                "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientCapabilities": {"extensions": {"io.modelcontextprotocol/tasks": {}}, "elicitation": {}}}}});
            let out = send(&body.to_string());
            MemoryTasks::run_alarms();
            out.and_then(|b| b["result"]["taskId"].as_str().map(str::to_owned)).expect("a task")
        };
    }
    fn send(text: &str) -> Option<Value> {
        let parsed: Option<Value> = serde_json::from_str(text).ok();
        let field = |k: &str| -> Option<String> {
            let p = &parsed.as_ref()?["params"];
            p.get(k).and_then(Value::as_str).map(str::to_owned)
        };
        let method = parsed
            .as_ref()
            .and_then(|b| b["method"].as_str())
            .map(str::to_owned);
        let name = field("taskId").or_else(|| field("name"));
        let request = post::Request {
            caller: None,
            platform: Rc::new(mcp_worker::testing::TestPlatform::default()),
            sse: false,
            now: NOW,
            input_state_key: Some(std::sync::Arc::from(
                &b"0123456789abcdef0123456789abcdef"[..],
            )),
            required_scopes: None,
        };
        let headers = McpHeaders {
            protocol_version: Some("2026-07-28"),
            method: method.as_deref(),
            name: name.as_deref(),
            ..McpHeaders::default()
        };
        let handled = block_on(post::handle(
            &task_server::SERVER,
            &request,
            text.as_bytes(),
            &headers,
            true,
        ));
        MemoryTasks::run_alarms();
        match handled.outcome {
            PostOutcome::Reply { body, .. } => Some(body.into_value()),
            _ => None,
        }
    }
    let id = TASK.with(String::clone);
    let text = String::from_utf8_lossy(data).replace("TASK_ID", &id);
    let Some(body) = send(&text) else {
        return;
    };
    let asked_get = serde_json::from_str::<Value>(&text).is_ok_and(|b| b["method"] == "tasks/get");
    if let (true, Some(result)) = (asked_get, body.get("result")) {
        assert_eq!(
            result["taskId"],
            id.as_str(),
            "tasks/get answered another task: {body}"
        );
    }
}

/// A resource template (the first line, as an author might write it) and a URI (the
/// rest, as a client sends it to `resources/read`). Whatever matches must give each of
/// the template's variables once, non-empty, and the literal parts must be in the URI.
pub fn uri_template(data: &[u8]) {
    use mcp_worker::resources::UriTemplate;
    let text = String::from_utf8_lossy(data);
    let (template, uri) = text.split_once('\n').unwrap_or((&text, ""));
    let Ok(t) = UriTemplate::parse(template) else {
        return;
    };
    let Some(vars) = t.matches(uri) else {
        return;
    };
    let names: Vec<&str> = t.variables().collect();
    let found: Vec<&str> = vars.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, found, "the variables of {template:?} in {uri:?}");
    assert!(vars.iter().all(|(_, v)| !v.is_empty()), "an empty variable");
    assert!(uri.len() <= mcp_worker::resources::template::MAX_URI_LEN);
    let literal_prefix: String = template.chars().take_while(|c| *c != '{').collect();
    assert!(
        uri.starts_with(&literal_prefix),
        "{uri:?} lacks {literal_prefix:?}"
    );
}

/// A tool's input schema, the `Mcp-Param-*` headers of a call and its arguments, as
/// `SCHEMA\n\nname: value lines\n\nARGUMENTS`: the declaration check and the per-call check
/// never panic, refuse only with HeaderMismatch, and accept what a conforming client
/// sends (the headers derived from the arguments by 2026-07-28 "Value Encoding").
pub fn param_headers(data: &[u8]) {
    use mcp_worker::protocol::param_headers::{check, from_schema, ParamType};
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, "\n\n");
    let (Some(schema), headers, args) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    let Ok(schema) = serde_json::from_str::<Value>(schema) else {
        return;
    };
    let Ok(params) = from_schema(&schema) else {
        return;
    };
    let args: Option<Value> = args.and_then(|a| serde_json::from_str(a).ok());
    let args = args.as_ref().and_then(Value::as_object);
    let sent: Vec<(String, String)> = headers
        .unwrap_or("")
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    if let Err(e) = check(&params, |n| find(&sent, n), args) {
        assert_eq!(e.code, -32020, "{}", e.message);
    }
    // What a conforming client sends for these arguments must pass.
    let mut client = Vec::new();
    for p in &params {
        let mut at = args;
        let mut value = None;
        for (i, key) in p.path.iter().enumerate() {
            let Some(next) = at.and_then(|o| o.get(key)) else {
                break;
            };
            if i + 1 == p.path.len() {
                value = Some(next);
            } else {
                at = next.as_object();
            }
        }
        let encoded = match (p.kind, value) {
            (_, None | Some(Value::Null)) => continue,
            (ParamType::String, Some(Value::String(s))) => encode(s),
            (ParamType::Integer, Some(Value::Number(n))) if n.is_i64() => n.to_string(),
            (ParamType::Boolean, Some(Value::Bool(b))) => b.to_string(),
            // A value of the wrong type fails the argument check, not this one.
            _ => return,
        };
        client.push((
            format!("mcp-param-{}", p.name.to_ascii_lowercase()),
            encoded,
        ));
    }
    if let Err(e) = check(&params, |n| find(&client, n), args) {
        panic!("a conforming client's headers were refused: {}", e.message);
    }
}

fn find<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A string as a client puts it in a header: as is when it is plain visible ASCII without
/// surrounding whitespace and not the sentinel form, else `=?base64?…?=`.
fn encode(s: &str) -> String {
    let visible = s.bytes().all(|b| (0x20..0x7f).contains(&b));
    let padded = s.starts_with([' ', '\t']) || s.ends_with([' ', '\t']);
    let sentinel = s.starts_with("=?base64?") && s.ends_with("?=");
    let plain = visible && !padded && !sentinel;
    if plain {
        return s.to_owned();
    }
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::from("=?base64?");
    for chunk in s.as_bytes().chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out.push_str("?=");
    out
}

/// A URI a client sends to `skills/get`, `resources/read` or `resources/directory/read`,
/// looked up in a skill set; then the same bytes read as a SKILL.md. Nothing panics, a
/// directory lists only what is below it, and what the frontmatter reader accepts is a
/// mapping whose top-level values are scalars or one level of scalar maps.
pub fn skill_uri(data: &[u8]) {
    use mcp_worker::skills::{frontmatter, Skill, SkillFile, Skills};
    static SKILL: Skill = Skill {
        skill_md: "---\nname: pdf\ndescription: PDFs\n---\nBody\n",
        files: &[
            SkillFile::text("a/b/c.md", "text/markdown", "c"),
            SkillFile::text("a/d.txt", "text/plain", "d"),
            SkillFile::text("e", "text/plain", "e"),
        ],
    };
    static SET: Skills = Skills::new(&[&SKILL]);
    let text = String::from_utf8_lossy(data);
    let uri = text.lines().next().unwrap_or("");
    if let Some(skill) = SET.by_uri(uri) {
        assert_eq!(skill.uri(), uri);
    }
    if let Some(file) = SET.file(uri) {
        assert_eq!(file.uri, uri);
    }
    if let Some(children) = SET.directory(uri) {
        let dir = uri.strip_suffix('/').unwrap_or(uri);
        for c in &children {
            assert!(
                c.uri.starts_with(&format!("{dir}/")),
                "{} is not below {dir}",
                c.uri
            );
        }
    }
    if let Ok(map) = frontmatter(&text) {
        for (k, v) in &map {
            let flat = |v: &Value| !v.is_object() && !v.is_array();
            assert!(
                flat(v) || v.as_object().is_some_and(|m| m.values().all(flat)),
                "{k}: {v}"
            );
        }
    }
}

/// A form body or query (src/oauth/form.rs): what the reader takes it reads back the same
/// once re-encoded, within its bounds, and a lookup never panics.
pub fn oauth_form(data: &[u8]) {
    use mcp_worker::oauth::form::{self, Form, FormError};
    match Form::parse(data) {
        Ok(f) => {
            assert!(data.len() <= form::MAX_BYTES);
            assert!(f.pairs().len() <= form::MAX_PAIRS);
            let again = f
                .pairs()
                .iter()
                .map(|(n, v)| format!("{}={}", form::encode(n), form::encode(v)))
                .collect::<Vec<_>>()
                .join("&");
            // A pair with an empty name and value ("=") re-encodes to "=" and reads back.
            let back = Form::parse(again.as_bytes()).expect("re-encoded pairs read back");
            assert_eq!(back.pairs(), f.pairs(), "the round trip changed the pairs");
            for (name, _) in f.pairs() {
                match f.get(name) {
                    Ok(_) => assert_eq!(f.pairs().iter().filter(|(n, _)| n == name).count(), 1),
                    Err(FormError::Repeated { .. }) => {}
                    Err(e) => panic!("a lookup failed with {e:?}"),
                }
            }
        }
        Err(FormError::TooLarge) => assert!(data.len() > form::MAX_BYTES),
        Err(FormError::Repeated { .. }) => panic!("parsing never looks for repeats"),
        Err(e) => assert!(e.to_string().len() < 200, "{e}"),
    }
}

/// What an OAuth error's description may be: short, and printable on the wire.
fn oauth_description_ok(e: &mcp_worker::oauth::error::OAuthError) {
    assert!(e.description.chars().count() < 400, "{e}");
    assert!(!e.description.chars().any(char::is_control), "{e}");
    let body: Value = serde_json::from_str(&e.json_body()).expect("an error body is JSON");
    assert_eq!(body["error"], e.code.as_str());
}

/// An authorization request's query, checked against one client (a ChatGPT-like https
/// redirect and Claude Code's portless loopback ones) and a server with two scopes and two
/// resources, trusted or not by the input's length. What it accepts is bound to what the
/// client registered and the server serves; what it redirects goes only to a registered
/// redirect URI, with a code the authorization endpoint may send, and only for a trusted
/// client; an untrusted one's error is a page, with at most a link to such a URI.
pub fn oauth_authorization(data: &[u8]) {
    use mcp_worker::oauth::client::{AuthMethod, GrantType};
    use mcp_worker::oauth::error::AuthorizeError;
    use mcp_worker::oauth::form::Form;
    use mcp_worker::oauth::pkce;
    use mcp_worker::oauth::request::{read_authorization, ClientView, ServerView};

    let redirects = [
        "https://chatgpt.com/connector/oauth/abc123".to_owned(),
        "http://localhost/callback".to_owned(),
        "http://127.0.0.1/callback".to_owned(),
    ];
    let grants = [GrantType::AuthorizationCode];
    let scopes = ["notes:read".to_owned(), "notes:write".to_owned()];
    let resources = [
        "https://mcp.example.com/mcp".to_owned(),
        "https://mcp.example.com/mcp/".to_owned(),
    ];
    let server = ServerView {
        resources: &resources,
        scopes: &scopes,
    };
    let unchecked = match read_authorization(data) {
        Ok(u) => u,
        Err(e) => {
            assert!(
                matches!(e, AuthorizeError::Page(_)),
                "stage 1 only refuses on the page"
            );
            return oauth_description_ok(e.error());
        }
    };
    let client_id = unchecked.client_id().to_owned();
    let client = ClientView {
        client_id: &client_id,
        redirect_uris: &redirects,
        grant_types: &grants,
        auth_methods: &[AuthMethod::None],
        trusted: data.len() % 2 == 0,
    };
    // Not redirect::matches, which is under test: a registered URI exactly, or, for
    // http to a loopback host, the same with a port of digits after the host
    // (OAuth 2.1 §8.4.2).
    let registered = |uri: &str| {
        redirects.iter().any(|r| {
            if r == uri {
                return true;
            }
            ["http://localhost", "http://127.0.0.1", "http://[::1]"]
                .iter()
                .any(|host| {
                    let (Some(r_rest), Some(u_rest)) =
                        (r.strip_prefix(host), uri.strip_prefix(host))
                    else {
                        return false;
                    };
                    let Some(port_on) = u_rest.strip_prefix(':') else {
                        return false;
                    };
                    let digits = port_on.bytes().take_while(u8::is_ascii_digit).count();
                    digits > 0 && !r_rest.starts_with(':') && &port_on[digits..] == r_rest
                })
        })
    };
    let sent = Form::parse(data).expect("stage 1 read it");
    let state = sent.get("state").expect("not repeated").map(str::to_owned);
    match unchecked.check(&client, &server) {
        Ok(r) => {
            assert!(registered(r.redirect_uri()), "{}", r.redirect_uri());
            assert_eq!(r.state().map(str::to_owned), state);
            assert!(pkce::check_challenge(r.code_challenge()).is_ok());
            assert!(
                r.scopes().iter().all(|s| scopes.contains(s)),
                "{:?}",
                r.scopes()
            );
            if let Some(res) = r.resource() {
                assert!(resources.iter().any(|ours| ours == res), "{res}");
            }
            let location = r.success_location("CODE", "https://mcp.example.com");
            let (base, query) = location.split_once('?').expect("a query");
            assert!(r.redirect_uri().starts_with(base), "{location}");
            let back = Form::parse(query.as_bytes()).expect("the location's query reads back");
            assert_eq!(back.get("code"), Ok(Some("CODE")));
            assert_eq!(back.get("state").unwrap().map(str::to_owned), state);
            assert_eq!(sent.get("response_type"), Ok(Some("code")));
            assert_eq!(sent.get("code_challenge_method"), Ok(Some("S256")));
        }
        Err(AuthorizeError::Page(e)) => oauth_description_ok(&e),
        Err(AuthorizeError::Interstitial(i)) => {
            assert!(!client.trusted, "a trusted client's error is redirected");
            let error = i.error();
            assert!(error.code.is_authorization_response(), "{error}");
            oauth_description_ok(error);
            let link = i.continue_location("https://mcp.example.com");
            let (base, query) = link.split_once('?').expect("a query");
            assert!(registered(base), "a link to {base}");
            let back = Form::parse(query.as_bytes()).expect("the link's query reads back");
            assert_eq!(back.get("error"), Ok(Some(error.code.as_str())));
            assert_eq!(back.get("state").unwrap().map(str::to_owned), state);
        }
        Err(e @ AuthorizeError::Redirect(_)) => {
            assert!(client.trusted, "an untrusted client was redirected");
            let AuthorizeError::Redirect(to) = &e else {
                unreachable!()
            };
            let error = to.error();
            assert!(
                registered(to.redirect_uri()),
                "redirected to {}",
                to.redirect_uri()
            );
            assert!(error.code.is_authorization_response(), "{error}");
            assert_eq!(to.state().map(str::to_owned), state);
            oauth_description_ok(error);
            let location = e.location("https://mcp.example.com").expect("a redirect");
            let (_, query) = location.split_once('?').expect("a query");
            let back = Form::parse(query.as_bytes()).expect("the location's query reads back");
            assert_eq!(back.get("error"), Ok(Some(error.code.as_str())));
            assert_eq!(back.get("iss"), Ok(Some("https://mcp.example.com")));
            assert_eq!(back.get("state").unwrap().map(str::to_owned), state);
        }
    }
}

/// A token (and revocation) request: the first line is the Authorization header's value
/// (empty for none), the rest the POSTed body. Errors are answered as the token endpoint
/// does; a secret the body carries (one long enough and marked with '^', so that no
/// description's own words could hold it) is never repeated in a description; what stage
/// 2 accepts has a well-formed verifier, one of the server's resources, and a method the
/// client accepts: the client's methods are one of four sets, picked by the input's
/// length, not by the request.
pub fn oauth_token(data: &[u8]) {
    use mcp_worker::oauth::client::{AuthMethod, GrantType};
    use mcp_worker::oauth::form::Form;
    use mcp_worker::oauth::request::{
        check_client_auth, read_revocation, read_token, ClientView, Grant, ServerView,
    };
    use mcp_worker::oauth::{error::OAuthError, pkce};

    let (head, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&[][..], data),
    };
    let head = String::from_utf8_lossy(head);
    let authorization = (!head.is_empty()).then_some(head.as_ref());
    let secrets: Vec<String> = Form::parse(body)
        .map(|f| {
            let pairs = f.pairs();
            pairs
                .iter()
                .filter(|(n, v)| {
                    [
                        "code",
                        "code_verifier",
                        "client_secret",
                        "refresh_token",
                        "client_assertion",
                        "token",
                    ]
                    .contains(&n.as_str())
                        && v.len() >= 8
                        && v.contains('^')
                        && !pairs.iter().any(|(n2, v2)| {
                            (n2 != n && v2.contains(v.as_str())) || n2.contains(v.as_str())
                        })
                })
                .map(|(_, v)| v.clone())
                .collect()
        })
        .unwrap_or_default();
    let refused = |e: &OAuthError| {
        oauth_description_ok(e);
        for s in &secrets {
            assert!(!e.description.contains(s.as_str()), "a secret in {e}");
        }
        let answer = e.token_response(authorization.is_some());
        assert!([400, 401].contains(&answer.status), "{}", answer.status);
        assert_eq!(
            answer.www_authenticate.is_some(),
            answer.status == 401 && authorization.is_some()
        );
    };
    if let Err(e) = read_revocation(body, authorization) {
        refused(&e);
    }
    let unchecked = match read_token(body, authorization) {
        Ok(u) => u,
        Err(e) => return refused(&e),
    };
    let grants = [GrantType::AuthorizationCode, GrantType::RefreshToken];
    let resources = ["https://mcp.example.com/mcp".to_owned()];
    const METHODS: [&[AuthMethod]; 4] = [
        &[AuthMethod::None],
        &[AuthMethod::ClientSecretBasic],
        &[AuthMethod::ClientSecretPost],
        &[AuthMethod::PrivateKeyJwt, AuthMethod::None],
    ];
    let auth_methods = METHODS[data.len() % METHODS.len()];
    let id = unchecked
        .client
        .client_id()
        .unwrap_or("from-the-assertion")
        .to_owned();
    let client = ClientView {
        client_id: &id,
        redirect_uris: &[],
        grant_types: &grants,
        auth_methods,
        trusted: false,
    };
    let method = unchecked.client.method();
    assert_eq!(
        check_client_auth(&unchecked.client, &client).is_ok(),
        auth_methods.contains(&method),
        "{method:?} against {auth_methods:?}"
    );
    let server = ServerView {
        resources: &resources,
        scopes: &[],
    };
    match unchecked.check(&client, &server) {
        Ok(r) => {
            assert!(auth_methods.contains(&r.client.method()), "{method:?}");
            if let Grant::AuthorizationCode { code_verifier, .. } = &r.grant {
                assert!(pkce::check_verifier(code_verifier.expose()).is_ok());
            }
            if let Some(res) = &r.resource {
                assert_eq!(res, &resources[0]);
            }
        }
        Err(e) => refused(&e),
    }
}

/// What an OAuth `error_description` may hold (RFC 6749 §5.2), kept short.
fn assert_description(text: &str) {
    assert!(
        !text.is_empty() && text.len() < 400,
        "description: {text:?}"
    );
    assert!(
        text.chars()
            .all(|c| (' '..='~').contains(&c) && c != '"' && c != '\\'),
        "not error_description characters: {text:?}"
    );
}

/// Checks what a registered or documented client holds, whatever the input was.
fn assert_client_sound(c: &mcp_worker::oauth::client::Client) {
    use mcp_worker::oauth::client::{self as oc, AuthMethod, FetchPolicy, GrantType};
    use mcp_worker::oauth::redirect::check_registered;
    assert!((1..=oc::MAX_REDIRECT_URIS).contains(&c.redirect_uris.len()));
    for uri in &c.redirect_uris {
        assert_eq!(check_registered(uri), Ok(()), "{uri}");
    }
    assert!(c.grant_types.contains(&GrantType::AuthorizationCode));
    if let Some(name) = &c.client_name {
        assert!(!name.trim().is_empty() && name.chars().count() <= oc::MAX_NAME_CHARS);
        assert!(!name.chars().any(char::is_control), "{name:?}");
    }
    assert_eq!(c.secret_hash.is_some(), c.auth_method.uses_secret());
    assert_eq!(c.keys.is_some(), c.auth_method == AuthMethod::PrivateKeyJwt);
    let back = oc::Client::from_record(&c.to_record(), FetchPolicy::PUBLIC);
    assert_eq!(
        back.as_ref(),
        Ok(c),
        "the stored record reads back differently"
    );
}

/// A registration request body (RFC 7591): an accepted one registers only what the rules
/// allow, under an id that is never a URL, with a secret exactly when its method uses one;
/// a refusal says why in `error_description` characters.
pub fn registration_request(data: &[u8]) {
    use mcp_worker::oauth::client::{self as oc, FetchPolicy};
    let registration = match oc::read_registration(data, FetchPolicy::PUBLIC) {
        Ok(r) => r,
        Err(e) => return assert_description(&e.description),
    };
    assert!(data.len() <= oc::MAX_REGISTRATION_BYTES);
    let issued = registration.issue(NOW).expect("the host's CSPRNG");
    let c = &issued.client;
    assert!(!oc::is_metadata_url(&c.client_id), "{}", c.client_id);
    assert_client_sound(c);
    assert_eq!(issued.secret().is_some(), c.auth_method.uses_secret());
    if let Some(secret) = issued.secret() {
        assert!(c.secret_matches(secret));
        assert!(
            !format!("{issued:?}").contains(secret),
            "Debug shows the secret"
        );
    }
    let answer = issued.response();
    assert_eq!(answer["client_id"], c.client_id.as_str());
    assert_eq!(answer["client_id_issued_at"], NOW);
    assert_eq!(
        answer.get("client_secret_expires_at").is_some(),
        issued.secret().is_some()
    );
}

/// A fetched metadata document: a first line with the `client_id` URL it was fetched
/// from, a second with its `Cache-Control` (empty: none), then the body. An accepted
/// document names exactly that URL, holds no secret, uses `none` or `private_key_jwt`,
/// and is cached within bounds; the same body with any status but 200 is refused.
pub fn metadata_document(data: &[u8]) {
    use mcp_worker::oauth::client::{self as oc, AuthMethod, FetchPolicy, Fetched, Source};
    let mut parts = data.splitn(3, |&b| b == b'\n');
    let url = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let header = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let body = parts.next().unwrap_or_default();
    let cache_control = (!header.is_empty()).then_some(header.as_str());
    let secs = oc::cache_lifetime(cache_control);
    assert!(secs == 0 || (oc::MIN_CACHE_SECS..=oc::MAX_CACHE_SECS).contains(&secs));
    // A `no-store` directive, not the letters inside another token (`pubno-store-age`).
    let no_store = header.split(',').any(|d| {
        let name = d.split('=').next().unwrap_or_default().trim();
        name.eq_ignore_ascii_case("no-store")
    });
    if no_store {
        assert_eq!(secs, 0, "cached despite no-store");
    }
    let read = |status, redirected| {
        let fetched = Fetched {
            status,
            redirected,
            cache_control,
            body,
        };
        oc::read_metadata_document(&url, &fetched, FetchPolicy::PUBLIC)
    };
    for (status, redirected) in [(302, false), (404, false), (503, false), (200, true)] {
        let why = read(status, redirected).expect_err("only a 200 from the URL itself is read");
        assert_description(why.description());
    }
    let resolved = match read(200, false) {
        Ok(r) => r,
        Err(why) => {
            assert!(!why.retry_later(), "a 200 is never retried");
            return assert_description(why.description());
        }
    };
    assert_eq!(oc::check_client_id_url(&url, FetchPolicy::PUBLIC), Ok(()));
    assert!(body.len() <= oc::MAX_DOCUMENT_BYTES);
    assert_eq!(resolved.cache_secs, secs);
    let c = &resolved.client;
    assert_eq!(c.client_id, url);
    assert_eq!(c.source, Source::MetadataDocument);
    assert!(matches!(
        c.auth_method,
        AuthMethod::None | AuthMethod::PrivateKeyJwt
    ));
    assert!(c.client_name.is_some());
    assert_client_sound(c);
    let doc: Value = serde_json::from_slice(body).expect("accepted, so JSON");
    assert_eq!(doc["client_id"], url.as_str());
    for field in ["client_secret", "client_secret_expires_at"] {
        assert!(doc.get(field).is_none(), "accepted a document with {field}");
    }
}

/// A `client_id` URL: one accepted for fetching is `https` with a path, nothing a URL
/// parser rewrites, and a host that is a DNS name or a public address by std's own
/// tests of special addresses; the loopback switch only ever allows more.
pub fn client_id_url(data: &[u8]) {
    use mcp_worker::oauth::client::{self as oc, FetchPolicy};
    use std::net::{Ipv4Addr, Ipv6Addr};
    let Ok(url) = std::str::from_utf8(data) else {
        return;
    };
    let public = oc::check_client_id_url(url, FetchPolicy::PUBLIC);
    let dev = oc::check_client_id_url(url, FetchPolicy::LOOPBACK);
    for refusal in [&public, &dev].into_iter().filter_map(|r| r.as_ref().err()) {
        assert_description(refusal);
    }
    if public.is_err() {
        return;
    }
    assert!(
        dev.is_ok(),
        "the loopback switch refused what public allows"
    );
    assert!(oc::is_metadata_url(url));
    assert!(url.len() <= oc::MAX_CLIENT_ID_URL);
    assert!(
        !url.contains(['#', '?', '\\'])
            && !url.chars().any(|c| c.is_whitespace() || c.is_control()),
        "{url}"
    );
    let after = url.strip_prefix("https://").expect("https");
    let (authority, path) = after.split_at(after.find('/').expect("a path"));
    assert!(path.len() > 1 && !authority.contains('@'), "{url}");
    for segment in path.split('/') {
        let s = segment.to_ascii_lowercase().replace("%2e", ".");
        assert!(s != "." && s != "..", "a dot segment in {url}");
    }
    let host = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => &authority[..i],
        _ => authority,
    };
    assert!(
        host != "localhost" && !host.ends_with(".localhost"),
        "{url}"
    );
    if let Some(v6) = host.strip_prefix('[') {
        let text = v6.trim_end_matches(']');
        let ip: Ipv6Addr = text.parse().expect("an IPv6 address");
        // Written canonically (RFC 5952), as std writes it: what a URL parser keeps.
        assert_eq!(ip.to_string(), text);
        let s = ip.segments();
        assert!(
            !ip.is_loopback()
                && !ip.is_unspecified()
                && !ip.is_multicast()
                && !ip.is_unique_local()
                && !ip.is_unicast_link_local()
                && ip.to_ipv4_mapped().is_none()
                && ip.to_ipv4().is_none()
                && s[0] & 0xe000 == 0x2000
                && s[0] != 0x2002
                && !(s[0] == 0x2001 && s[1] == 0x0db8),
            "special IPv6 host in {url}"
        );
    } else if host
        .rsplit('.')
        .next()
        .is_some_and(|l| !l.starts_with(|c: char| c.is_ascii_lowercase()))
    {
        // What a URL parser reads as an IPv4 address must be one, written canonically.
        let ip: Ipv4Addr = host.parse().expect("a dotted-decimal IPv4 address");
        assert_eq!(ip.to_string(), host);
        let [a, b, ..] = ip.octets();
        assert!(
            !ip.is_private()
                && !ip.is_loopback()
                && !ip.is_link_local()
                && !ip.is_unspecified()
                && !ip.is_multicast()
                && !ip.is_broadcast()
                && !ip.is_documentation()
                && !(a == 100 && (64..128).contains(&b))
                && a < 240
                && a != 0,
            "special IPv4 host in {url}"
        );
    } else {
        assert!(
            host.contains('.')
                && host
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b)),
            "not a plain DNS name: {url}"
        );
    }
}

/// A code or refresh token as the token and revocation endpoints read it, before it is
/// routed to its grant's object: whatever reads as a token reads back as the same text
/// (one spelling per token), names a grant id that reads back too, and its `Debug`
/// shows no secret.
pub fn grant_token(data: &[u8]) {
    use mcp_worker::oauth::grant::{GrantId, OpaqueToken};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(token) = OpaqueToken::parse(text) else {
        return;
    };
    assert_eq!(token.reveal(), text, "a token reads back as sent");
    let id = token.grant_id();
    assert_eq!(GrantId::parse(id.as_str()).as_ref(), Some(id));
    let (_, secret) = text.split_once('.').expect("a token has a dot");
    assert!(
        !format!("{token:?}").contains(secret),
        "Debug shows the secret"
    );
}

/// A value the server sealed (a session cookie, a registered client's id), as a client
/// hands it back: whatever the input, nothing opens that this server did not seal, and
/// never panics. What it seals (the input, read as JSON) is fit for a cookie, opens back
/// the same for its purpose only and until it expires, and no longer opens once any one
/// character of it changes.
pub fn sealed_value(data: &[u8]) {
    use mcp_worker::oauth::seal::{SealKey, MAX_SEALED};
    let key = SealKey::from_secret(oauth_host::SEALING_KEY).expect("the test key");
    let text = String::from_utf8_lossy(data);
    for purpose in ["session", "client"] {
        assert!(
            key.open::<Value>(purpose, &text, NOW).is_none(),
            "a value this server never sealed opened"
        );
    }
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let sealed = key.seal("session", &value, NOW + 1);
    assert!(
        sealed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
        "not fit for a cookie value: {sealed}"
    );
    let opened = key.open::<Value>("session", &sealed, NOW);
    // serde_json reads some floats one bit off what it wrote (without its float_roundtrip
    // feature); what the server seals holds none.
    fn has_float(v: &Value) -> bool {
        match v {
            Value::Number(n) => n.is_f64(),
            Value::Array(a) => a.iter().any(has_float),
            Value::Object(o) => o.values().any(has_float),
            _ => false,
        }
    }
    if sealed.len() <= MAX_SEALED {
        assert!(opened.is_some(), "the value did not open");
        if !has_float(&value) {
            assert_eq!(opened.as_ref(), Some(&value), "the value did not open back");
        }
    } else {
        assert!(opened.is_none(), "a value longer than MAX_SEALED opened");
    }
    assert!(key.open::<Value>("client", &sealed, NOW).is_none());
    assert!(key.open::<Value>("session", &sealed, NOW + 1).is_none());
    let dot = sealed.rfind('.').expect("payload.tag");
    for at in [
        0,
        dot.saturating_sub(1),
        dot + 1,
        sealed.len() - 1,
        data.len() % sealed.len(),
    ] {
        let mut altered = sealed.clone().into_bytes();
        altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).expect("ASCII");
        assert!(
            key.open::<Value>("session", &altered, NOW).is_none(),
            "a value changed at {at} still opened"
        );
    }
}

/// A `Cookie` header, and the name of the cookie looked for in it (the input's first
/// line, then the header): the lookup never panics, finds only a pair of that name, and
/// the session it holds, if any, opens only for a value the server sealed.
pub fn session_cookie(data: &[u8]) {
    use mcp_worker::http::authorization::cookie;
    use mcp_worker::oauth::seal::SealKey;
    let text = String::from_utf8_lossy(data);
    let (name, header) = text.split_once('\n').unwrap_or(("mcp_oauth_", &text));
    // A header value holds no line break (the Fetch API refuses them).
    let header = header.replace(['\r', '\n'], " ");
    let req = HttpRequest {
        headers: vec![("cookie", header.as_str())].into(),
        ..HttpRequest::default()
    };
    let pairs: Vec<(&str, &str)> = header
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .collect();
    match cookie(&req, name) {
        Some(v) => {
            assert!(!v.contains(';'), "{v:?}");
            assert!(
                pairs.contains(&(name, v)),
                "{name}={v} is not a pair of {header:?}"
            );
            let key = SealKey::from_secret(oauth_host::SEALING_KEY).expect("the test key");
            assert!(key.open::<Value>("session", v, NOW).is_none());
        }
        None => assert!(
            pairs.iter().all(|(k, _)| *k != name),
            "{name} is in {header:?} and was not found"
        ),
    }
}

/// What the fuzzed authorization server was given once: a registered client (loopback
/// redirect), and a sign-in past the provider, waiting for consent.
struct SignIn {
    client_id: String,
    /// The redirect to the provider that started the sign-in.
    to_provider: String,
    sid: String,
    cookie: String,
    csrf: String,
}

fn sign_in() -> &'static SignIn {
    static SIGN_IN: OnceLock<SignIn> = OnceLock::new();
    SIGN_IN.get_or_init(|| {
        let flow = oauth_host::Flow::new();
        let client_id = flow.public_client(oauth_host::LOOPBACK_REDIRECT);
        let to_provider = flow.authorize_client(&client_id, oauth_host::LOOPBACK_REDIRECT);
        let location = to_provider
            .header("location")
            .expect("a redirect")
            .to_owned();
        let sid = oauth_host::location_params(&location)["state"].clone();
        // The cookie the callback sets, with the person in it, is the one consent needs.
        let page = flow.callback(&to_provider, &serde_json::json!({}), false);
        let html = oauth_host::text_of(&page);
        let csrf = oauth_host::hidden_field(&html, "csrf").expect("the consent page");
        SignIn {
            client_id,
            to_provider: location,
            sid,
            cookie: flow
                .cookie_header()
                .expect("the signed-in session's cookie"),
            csrf,
        }
    })
}

/// The authorization server's paths.
const AS_PATHS: [&str; 8] = [
    mcp_worker::oauth::metadata::WELL_KNOWN,
    mcp_worker::oauth::metadata::JWKS,
    mcp_worker::oauth::metadata::AUTHORIZE,
    mcp_worker::oauth::metadata::CALLBACK,
    mcp_worker::oauth::metadata::CONSENT,
    mcp_worker::oauth::metadata::TOKEN,
    mcp_worker::oauth::metadata::REGISTER,
    mcp_worker::oauth::metadata::REVOKE,
];

/// The tags of this server's own pages: any other in a page is client text unescaped.
const PAGE_TAGS: [&str; 19] = [
    "!doctype", "html", "head", "meta", "title", "style", "body", "main", "h1", "p", "ul", "li",
    "code", "strong", "form", "input", "div", "button", "a",
];

/// A request to the authorization server's endpoints, as in `http_request` (a first line
/// `METHOD TARGET`, the target with any query, header lines, a blank line, the body),
/// with `$CLIENT`, `$SESSION`, `$COOKIE`, `$CSRF`, `$IDP_CODE`, `$CODE` and `$VERIFIER`
/// standing for a registered client's id, a signed-in session waiting for consent (its
/// id, its cookie pair, its anti-forgery token), the provider's code for that session, a
/// code of a fresh grant and its PKCE verifier. Whatever comes, nothing panics; the
/// answer is one a browser or client can take (no 5xx but 502 and 503, printable
/// headers, our pages with their headers and only their own tags, JSON that parses); a
/// `Location` goes only to the provider, our consent page or the client's registered
/// redirect URI; a grant
/// is made only by a consent that carried the session's anti-forgery token from this
/// server's origin; and a token only for the code's verifier.
pub fn oauth_endpoints(data: &[u8]) {
    use mcp_worker::oauth::form::Form;
    use mcp_worker::oauth::grant::{Lifetimes, NewGrant, Upstream};
    use oauth_host::*;

    let s = sign_in();
    let host = TestHost::new();
    let grants = host.grants.clone().expect("bound");
    let idp_code = host.provider_code(&s.to_provider, &serde_json::json!({}), false);
    let grant = NewGrant {
        // An id the server made (its tag checks out), so the code reaches the grant.
        id: mcp_worker::http::authorization::grant_id_for(
            &mcp_worker::oauth::seal::SealKey::from_secret(SEALING_KEY).expect("a key"),
            "fuzz-grant",
        ),
        client_id: s.client_id.clone(),
        subject: "alice".into(),
        upstream: Upstream {
            issuer: IDP.into(),
            subject: "alice".into(),
            props: Default::default(),
        },
        scopes: Vec::new(),
        resource: RESOURCE.into(),
        redirect_uri: LOOPBACK_REDIRECT.into(),
        redirect_uri_sent: true,
        code_challenge: CHALLENGE.into(),
        code_challenge_method: "S256".into(),
        refresh: true,
        lifetimes: Lifetimes::default(),
    };
    let code = mcp_worker::testing::block_on(mcp_worker::oauth::objects::create(&*grants, &grant))
        .expect("the grant is made");
    let text = String::from_utf8_lossy(data)
        .replace("$CLIENT", &s.client_id)
        .replace("$SESSION", &s.sid)
        .replace("$COOKIE", &s.cookie)
        .replace("$CSRF", &s.csrf)
        .replace("$IDP_CODE", &idp_code)
        .replace("$CODE", &code)
        .replace("$VERIFIER", VERIFIER);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let (method, target) = lines
        .next()
        .unwrap_or("")
        .split_once(' ')
        .unwrap_or(("GET", "/authorize"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let header_refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let req = request(method, target, &header_refs, body.as_bytes());
    let flow = Flow::on(host);
    let before = flow.host.grant_count();
    let r = flow.send(&req);

    const STATUSES: [u16; 17] = [
        200, 201, 202, 204, 302, 303, 400, 401, 403, 404, 405, 406, 413, 415, 429, 502, 503,
    ];
    assert!(
        STATUSES.contains(&r.status),
        "unexpected status {}",
        r.status
    );
    for (name, value) in &r.headers {
        assert!(
            value
                .bytes()
                .all(|b| b == b'\t' || (0x20..0x7f).contains(&b)),
            "header {name} is not printable ASCII: {value:?}"
        );
    }
    match r.header("location") {
        Some(location) => {
            assert!(
                [302, 303].contains(&r.status),
                "{} with a Location",
                r.status
            );
            let to_client = location
                .strip_prefix("http://127.0.0.1")
                .map(|rest| rest.trim_start_matches(|c: char| c == ':' || c.is_ascii_digit()))
                .is_some_and(|rest| rest.starts_with("/callback?"));
            // Or our own consent page, where the callback sends the signed-in browser.
            assert!(
                to_client
                    || location.starts_with(&format!("{IDP_AUTHORIZE}?"))
                    || location.starts_with("/oauth/consent?session="),
                "a redirect to {location}"
            );
        }
        None => assert!(
            ![302, 303].contains(&r.status),
            "a redirect without a Location"
        ),
    }
    if let Some(set) = r.header("set-cookie") {
        // An https issuer's cookie: `__Secure-`, so only a secure origin may set it.
        assert!(set.starts_with("__Secure-mcp_oauth_"), "{set}");
        for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/oauth/"] {
            assert!(set.split("; ").any(|a| a == attribute), "{set}");
        }
        let pair = set.split(';').next().unwrap_or("");
        assert!(
            pair.len() <= 4096,
            "a cookie a browser drops: {} bytes",
            pair.len()
        );
    }
    match r.header("content-type") {
        Some(t) if t.starts_with("text/html") => {
            assert!(r.header("content-security-policy").is_some());
            assert_eq!(r.header("x-frame-options"), Some("DENY"));
            let html = std::str::from_utf8(&r.body).expect("UTF-8 pages");
            for tag in html.split('<').skip(1) {
                let name: String = tag
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
                    .collect::<String>()
                    .to_ascii_lowercase();
                assert!(PAGE_TAGS.contains(&name.as_str()), "a <{name} in a page");
            }
        }
        Some(t) if t.starts_with("application/json") => {
            let v: Value = serde_json::from_slice(&r.body).expect("a JSON body");
            // The authorization server's errors (elsewhere the pipeline's own answers,
            // such as JSON-RPC errors, are `http_request`'s to check).
            if r.status >= 400 && AS_PATHS.contains(&req.path.as_str()) {
                assert!(v["error"].is_string(), "{v}");
                if let Some(d) = v.get("error_description") {
                    let d = d.as_str().expect("a string");
                    assert!(!d.chars().any(char::is_control), "{d:?}");
                }
            }
        }
        // The MCP endpoint's streamed answers.
        Some("text/event-stream") => {}
        None => assert!(r.body.is_empty(), "a body without a content type"),
        Some(other) => panic!("unexpected content type {other}"),
    }
    let form = Form::parse(body.as_bytes()).ok();
    let field = |name: &str| {
        form.as_ref()
            .and_then(|f| f.get(name).ok().flatten())
            .map(str::to_owned)
    };
    if flow.host.grant_count() > before {
        assert_eq!(
            (req.method.as_str(), req.path.as_str()),
            ("POST", "/oauth/consent"),
            "a grant made elsewhere"
        );
        assert_eq!(
            field("csrf").as_deref(),
            Some(s.csrf.as_str()),
            "a grant without the csrf"
        );
        assert!(req.headers.get("origin").is_none_or(|o| o == ISSUER));
        assert!(req
            .headers
            .get("sec-fetch-site")
            .is_none_or(|f| f == "same-origin"));
    }
    if req.path == "/token" && r.status == 200 {
        assert_eq!(
            field("code").as_deref(),
            Some(code.as_str()),
            "a token for another code"
        );
        assert_eq!(
            field("code_verifier").as_deref(),
            Some(VERIFIER),
            "a token without the verifier"
        );
    }
    let line = r.log.to_line(&req.method, &req.path, Some(1));
    assert!(!line.contains('\n'), "a log record is one line");
}

#[derive(Debug, PartialEq, Deserialize)]
enum Shape {
    Unit,
    Newtype(u8),
    Tuple(i16, String),
    Struct { side: u16 },
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    n: u8,
    #[serde(default)]
    ratio: Option<f32>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    list: Vec<Option<i64>>,
    #[serde(default)]
    keyed: std::collections::BTreeMap<i32, bool>,
    #[serde(default)]
    shape: Option<Shape>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(untagged)]
enum Loose {
    Flag(bool),
    Number(u64),
    Text(String),
    Many(Vec<Loose>),
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(tag = "kind")]
enum Tagged {
    Roll { dice: u8 },
    Flip,
}

/// Arguments as a tool, prompt or template reads them (`from_value`), against
/// serde_json's own reader of a `&Value`: the same value, or both refuse.
pub fn typed_args(data: &[u8]) {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    fn agree<'de, T: Deserialize<'de> + PartialEq + std::fmt::Debug>(v: &'de Value) {
        let ours = mcp_worker::protocol::from_value::from_value::<T>(v);
        let theirs = T::deserialize(v);
        match (ours, theirs) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{v}"),
            (Err(_), Err(_)) => {}
            (a, b) => panic!("the readers disagree on {v}: ours {a:?}, serde_json's {b:?}"),
        }
    }
    agree::<Args>(&v);
    agree::<Shape>(&v);
    agree::<Loose>(&v);
    agree::<Tagged>(&v);
    agree::<(bool, char, String)>(&v);
    agree::<std::collections::BTreeMap<u8, Vec<Shape>>>(&v);
    agree::<std::collections::BTreeMap<bool, Option<u128>>>(&v);
    agree::<Vec<f64>>(&v);
    agree::<Value>(&v);
}
