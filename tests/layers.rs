//! The library's layers point one way (docs/layout.md, "Layers"): a module of
//! `crates/mcp-worker/src/` (written `src/` below) uses
//! only the modules listed before it in [`LAYERS`], and the few exceptions in [`UPWARD`],
//! each with its reason. The exceptions together must not close a circle either.
//!
//! It reads every `crate::` and `super::` path in the code of each file under `src/`
//! (comments and `#[cfg(test)]` items left out: a unit test may use the host helpers) and
//! fails naming the file, the line and the rule it breaks. Files of one module may use
//! each other; the rule is about modules.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The modules of the library's `src/`, bottom first; each may use the ones before it.
/// `lib` is the crate root (its module list). Apps (the dice server in the repository's
/// own `src/`) sit above all of it and reach it as any other crate does.
const LAYERS: &[&str] = &[
    // 0. The worker's allocator and the names of the worker's variables, which use
    //    nothing of the crate.
    "alloc",
    "vars",
    // 1. The protocol: JSON-RPC, revisions, MCP's header rules.
    "protocol",
    // 2. The primitives' API, bottom up: what every primitive shares (the handler's
    //    context, its errors, paging, icons), then the primitives.
    "primitives",
    "apps",
    "completion",
    "tools",
    "resources",
    "prompts",
    "skills",
    "tasks",
    // 3. The server.
    "mcp",
    // 4. Auth, the authorization server's parts (the `oauth` feature), configuration,
    //    limits and the log, composed by the HTTP pipeline, which serves the
    //    authorization server's endpoints too.
    "auth",
    "oauth",
    "config",
    "ratelimit",
    "log",
    "http",
    // 5. The workers-rs faces, the crate root, the host helpers.
    "adapter",
    "durable",
    // A tool's typed bindings: methods on the context, naming workers-rs's types.
    "bindings",
    "lib",
    "testing",
];

/// Uses that point up, allowed for the reason given (docs/layout.md says more): from,
/// to, and whether it may close a circle.
const UPWARD: &[(&str, &str, Circle)] = &[
    // The context holds the caller as `auth::Principal`, a plain value; `auth` must not
    // use anything above `protocol` for this to stay a line, not a circle.
    ("primitives", "auth", Circle::Refused),
    // A registry holds a reference to the server code that serves it, so a server that
    // registers no resource, prompt or skill links none of it: a deliberate size trade,
    // and the one circle the crate keeps.
    ("resources", "mcp", Circle::SizeTrade),
    ("prompts", "mcp", Circle::SizeTrade),
    ("skills", "mcp", Circle::SizeTrade),
];

#[derive(PartialEq)]
enum Circle {
    Refused,
    SizeTrade,
}

fn library_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/mcp-worker/src")
}

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|m| *m == module)
}

/// One use of another module: where it is and what it names.
struct Use {
    from: String,
    to: String,
    file: String,
    line: usize,
    text: String,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file under `src/` (`src/mcp/tasks.rs` → `["mcp", "tasks"]`,
/// `src/mcp/mod.rs` → `["mcp"]`, `src/lib.rs` → `[]`).
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
        parts.pop();
    }
    parts
}

/// The code of a file, line by line, with comments and `#[cfg(test)]` items blanked.
fn code_lines(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip_depth: Option<i64> = None;
    let mut skip_next_item = false;
    let mut in_block_comment = false;
    for raw in source.lines() {
        let mut line = String::new();
        let mut chars = raw.chars().peekable();
        let mut in_string = false;
        while let Some(c) = chars.next() {
            if in_block_comment {
                if c == '*' && chars.peek() == Some(&'/') {
                    chars.next();
                    in_block_comment = false;
                }
                continue;
            }
            if in_string {
                if c == '\\' {
                    chars.next();
                } else if c == '"' {
                    in_string = false;
                }
                continue;
            }
            match c {
                '"' => in_string = true,
                '/' if chars.peek() == Some(&'/') => break,
                '/' if chars.peek() == Some(&'*') => {
                    chars.next();
                    in_block_comment = true;
                }
                _ => line.push(c),
            }
        }
        let trimmed = line.trim();
        if let Some(depth) = skip_depth.as_mut() {
            *depth += braces(trimmed);
            if *depth <= 0 {
                skip_depth = None;
            }
            out.push(String::new());
            continue;
        }
        if trimmed.starts_with("#[cfg(test)]") {
            skip_next_item = true;
            out.push(String::new());
            continue;
        }
        if skip_next_item && !trimmed.is_empty() && !trimmed.starts_with("#[") {
            skip_next_item = false;
            let depth = braces(trimmed);
            if depth > 0 {
                skip_depth = Some(depth);
            }
            out.push(String::new());
            continue;
        }
        out.push(line);
    }
    out
}

fn braces(line: &str) -> i64 {
    line.chars()
        .map(|c| match c {
            '{' => 1,
            '}' => -1,
            _ => 0,
        })
        .sum()
}

/// The first segment after each `crate::` (or `$crate::`), and after each `super::`
/// chain that reaches the crate root, in a line of code.
fn targets(line: &str, path: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let bytes = line.as_bytes();
    let word_start =
        |i: usize| i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
    let mut i = 0;
    while i < line.len() {
        let rest = &line[i..];
        let (root_rest, ok) = if rest.starts_with("crate::") && word_start(i) {
            (&rest["crate::".len()..], true)
        } else if rest.starts_with("super::") && word_start(i) {
            let mut r = rest;
            let mut ups = 0;
            while let Some(next) = r.strip_prefix("super::") {
                r = next;
                ups += 1;
            }
            (r, ups >= path.len())
        } else {
            // To the next character, not byte: the code may hold any text.
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        if ok {
            let names: Vec<&str> = match root_rest.strip_prefix('{') {
                Some(group) => group
                    .split([',', '}'])
                    .map(|n| n.trim().split("::").next().unwrap_or(""))
                    .collect(),
                None => vec![root_rest],
            };
            for name in names {
                let ident: String = name
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !ident.is_empty() {
                    found.push(ident);
                }
            }
        }
        i += rest.len() - root_rest.len();
    }
    found
}

fn uses() -> Vec<Use> {
    let src = library_src();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut all = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        if rel.starts_with("bin") {
            continue; // host tools, outside the library
        }
        let path = module_path(rel);
        let from = path.first().cloned().unwrap_or_else(|| "lib".into());
        let source = fs::read_to_string(&file).unwrap();
        let originals: Vec<&str> = source.lines().collect();
        for (n, line) in code_lines(&source).iter().enumerate() {
            for target in targets(line, &path) {
                // A name of the root that is not a module is one of lib.rs's items.
                let to = if rank(&target).is_some() {
                    target
                } else {
                    "lib".into()
                };
                if to != from {
                    all.push(Use {
                        from: from.clone(),
                        to,
                        file: format!("crates/mcp-worker/src/{}", rel.display()),
                        line: n + 1,
                        text: originals[n].trim().to_owned(),
                    });
                }
            }
        }
    }
    all
}

#[test]
fn every_module_of_src_has_a_layer() {
    let src = library_src();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = module_path(rel).first().cloned();
        if let Some(m) = first.filter(|m| m != "bin") {
            assert!(
                rank(&m).is_some(),
                "crates/mcp-worker/src/{}: module `{m}` has no place in tests/layers.rs LAYERS; add it where it belongs (and to docs/layout.md)",
                rel.display()
            );
        }
    }
}

#[test]
fn layers_point_one_way() {
    let mut problems = Vec::new();
    for u in uses() {
        let (Some(from), Some(to)) = (rank(&u.from), rank(&u.to)) else {
            continue;
        };
        let allowed = UPWARD.iter().any(|(f, t, _)| *f == u.from && *t == u.to);
        if to > from && !allowed {
            problems.push(format!(
                "{}:{}: `{}` uses `{}`, a layer above it: `{}`",
                u.file, u.line, u.from, u.to, u.text
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "imports that point up (move the code down, or pass it in; see docs/layout.md \"Layers\"):\n{}",
        problems.join("\n")
    );
}

#[test]
fn no_modules_use_each_other() {
    // Edges between modules, with one use each as the example.
    let mut edges: BTreeMap<(String, String), Use> = BTreeMap::new();
    for u in uses() {
        let trade = UPWARD
            .iter()
            .any(|(f, t, c)| *f == u.from && *t == u.to && *c == Circle::SizeTrade);
        if !trade {
            edges.entry((u.from.clone(), u.to.clone())).or_insert(u);
        }
    }
    // A circle, if any: a depth-first search from each module.
    fn visit(
        node: &str,
        edges: &BTreeMap<(String, String), Use>,
        stack: &mut Vec<String>,
        done: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == node) {
            let mut circle = stack[i..].to_vec();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.iter().any(|d| d == node) {
            return None;
        }
        stack.push(node.to_owned());
        for ((f, t), _) in edges.iter() {
            if f == node {
                if let Some(c) = visit(t, edges, stack, done) {
                    return Some(c);
                }
            }
        }
        stack.pop();
        done.push(node.to_owned());
        None
    }
    let mut done = Vec::new();
    for m in LAYERS {
        if let Some(circle) = visit(m, &edges, &mut Vec::new(), &mut done) {
            let lines: Vec<String> = circle
                .windows(2)
                .map(|w| {
                    let u = &edges[&(w[0].clone(), w[1].clone())];
                    format!(
                        "  {} → {}: {}:{}: `{}`",
                        u.from, u.to, u.file, u.line, u.text
                    )
                })
                .collect();
            panic!(
                "modules that use each other, a circle: {}\n{}",
                circle.join(" → "),
                lines.join("\n")
            );
        }
    }
}

#[test]
fn the_scanner_sees_what_it_must() {
    let path = vec!["tools".to_owned(), "dice".to_owned()];
    assert_eq!(targets("use crate::apps::{Csp, View};", &path), ["apps"]);
    assert_eq!(
        targets("use crate::{http, mcp::Server};", &path),
        ["http", "mcp"]
    );
    assert_eq!(targets("x: $crate::tasks::Object", &path), ["tasks"]);
    assert_eq!(targets("use super::super::log::X;", &path), ["log"]);
    assert!(targets("use super::Context;", &path).is_empty());
    assert!(targets("notcrate::x", &path).is_empty());
    assert_eq!(targets("let c = '…'; crate::a", &path), ["a"]);
    let code = code_lines(
        "use crate::a; // crate::b\nlet s = \"crate::c\";\n#[cfg(test)]\nmod tests {\n    use crate::d;\n}\nuse crate::e;",
    );
    let seen: Vec<String> = code.iter().flat_map(|l| targets(l, &path)).collect();
    assert_eq!(seen, ["a", "e"]);
}

/// What is not the library's API: `mcp_worker::PATH` for each item marked `#[doc(hidden)]`
/// or compiled only with the `unstable` feature (a module declared public with it, or an
/// item there only with it or in tests), read from the library's own files so the list
/// cannot drift from them.
fn hidden_paths() -> Vec<String> {
    let src = library_src();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut hidden = Vec::new();
    for file in files {
        let module = module_path(file.strip_prefix(&src).unwrap());
        let text = fs::read_to_string(&file).unwrap();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            let line = line.trim();
            let marks = line == "#[doc(hidden)]"
                || (line.starts_with("#[cfg(")
                    && line.contains("feature = \"unstable\"")
                    && !line.contains("not(feature = \"unstable\")"));
            if !marks {
                continue;
            }
            // The item the attribute is on: past doc comments and other attributes.
            let item = lines
                .by_ref()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with("///") && !l.starts_with("#["));
            let Some(rest) = item.and_then(|l| l.strip_prefix("pub ")) else {
                continue;
            };
            let name: String = match rest.strip_prefix("use ") {
                // `pub use a::b::Name;` (or `… as Name`): the name it is known by here.
                Some(path) => {
                    let path = path.trim_end_matches(';');
                    let name = path.rsplit(" as ").next().unwrap_or(path);
                    name.rsplit("::").next().unwrap_or("").to_owned()
                }
                None => {
                    // Past the item's kind: `fn`, `const fn`, `async fn`, `struct`, `mod` …
                    let kinds = [
                        "const", "async", "unsafe", "extern", "fn", "struct", "enum", "trait",
                        "type", "mod", "static", "union", "macro",
                    ];
                    rest.split_whitespace()
                        .find(|w| !kinds.contains(w))
                        .unwrap_or("")
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect()
                }
            };
            // (`$name` in a macro's body names nothing.)
            if !name.is_empty() {
                let mut path = vec!["mcp_worker".to_owned()];
                path.extend(module.iter().cloned());
                path.push(name);
                hidden.push(path.join("::"));
            }
        }
    }
    hidden
}

/// Every `mcp_worker` path a piece of code names: the paths it writes out, each path a
/// `use` brings in (groups `{a, b::c}` expanded, `self` and `as` followed), and the paths
/// written through a name such a `use` bound (`use mcp_worker::mcp; mcp::post::…`).
fn library_paths(code: &str) -> Vec<String> {
    fn ident(s: &str) -> &str {
        let end = s
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(s.len());
        &s[..end]
    }
    /// The full paths of a use-tree, with the name each is bound to here.
    fn expand(prefix: &str, tree: &str, out: &mut Vec<(String, String)>) {
        let tree = tree.trim();
        if let Some(i) = tree.find('{') {
            let base = tree[..i].trim().trim_end_matches("::");
            let inner = &tree[i + 1..tree.rfind('}').unwrap_or(tree.len())];
            let prefix = join(prefix, base);
            let mut depth = 0;
            let mut start = 0;
            for (j, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&prefix, &inner[start..j], out);
                        start = j + 1;
                    }
                    _ => {}
                }
            }
            expand(&prefix, &inner[start..], out);
            return;
        }
        if tree.is_empty() {
            return;
        }
        let (path, alias) = match tree.split_once(" as ") {
            Some((p, a)) => (p.trim(), Some(a.trim())),
            None => (tree, None),
        };
        let full = if path == "self" {
            prefix.to_owned()
        } else {
            join(prefix, path)
        };
        let name = alias.unwrap_or_else(|| full.rsplit("::").next().unwrap_or(""));
        out.push((full.clone(), name.to_owned()));
    }
    fn join(a: &str, b: &str) -> String {
        match (a.is_empty(), b.is_empty()) {
            (true, _) => b.to_owned(),
            (_, true) => a.to_owned(),
            _ => format!("{a}::{b}"),
        }
    }
    let mut found = Vec::new();
    let mut bound: Vec<(String, String)> = Vec::new();
    // `use` items, which may span lines.
    let mut rest = code;
    while let Some(i) = rest.find("use ") {
        let word_start = i == 0 || !rest[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        let after = &rest[i + 4..];
        let end = after.find(';').unwrap_or(after.len());
        if word_start && after.trim_start().starts_with("mcp_worker") {
            let mut imports = Vec::new();
            expand("", &after[..end], &mut imports);
            for (full, name) in imports {
                found.push(full.clone());
                bound.push((name, full));
            }
        }
        rest = &after[end.min(after.len())..];
    }
    // Paths written out, and paths through a bound name.
    for (at, _) in code.match_indices("mcp_worker::") {
        let tail = &code[at..];
        let len = tail
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(tail.len());
        found.push(tail[..len].trim_end_matches(':').to_owned());
    }
    for (name, full) in &bound {
        if name.is_empty() || name == "mcp_worker" {
            continue;
        }
        let needle = format!("{name}::");
        for (at, _) in code.match_indices(&needle) {
            if code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let tail = &code[at + needle.len()..];
            let seg = ident(tail);
            if !seg.is_empty() {
                found.push(format!("{full}::{seg}"));
            }
        }
    }
    // `use mcp_worker as x;` hides every path behind `x`: named as the crate itself.
    found.retain(|p| !p.is_empty());
    found
}

/// Whether `path` is `hidden` or inside it.
fn within(path: &str, hidden: &str) -> bool {
    path == hidden || path.starts_with(&format!("{hidden}::"))
}

#[test]
fn library_paths_see_groups_aliases_and_bound_names() {
    let code = "use mcp_worker::{config::Config, mcp::{self, Server}};\nuse mcp_worker::http as h;\nfn f() { mcp::post::handle(); h::x(); mcp_worker::tools::Tool; }";
    let paths = library_paths(code);
    for want in [
        "mcp_worker::config::Config",
        "mcp_worker::mcp",
        "mcp_worker::mcp::Server",
        "mcp_worker::http",
        "mcp_worker::mcp::post",
        "mcp_worker::http::x",
        "mcp_worker::tools::Tool",
    ] {
        assert!(paths.iter().any(|p| p == want), "{want} in {paths:?}");
    }
    assert!(within(
        "mcp_worker::mcp::post::handle",
        "mcp_worker::mcp::post"
    ));
    assert!(!within("mcp_worker::mcp::poster", "mcp_worker::mcp::post"));
}

/// Apps, examples, the starter and the docs' snippets use only the library's documented
/// API: what is hidden is the library's own, free to change in any release. Host tests,
/// benchmarks and fuzz targets may reach further, with the `unstable` feature. The apps'
/// worker builds do not turn the feature on (see the next test), so the compiler holds
/// the rule for the code they build; this reads all of them, and the docs' Rust blocks,
/// which build only in tests.
#[test]
fn apps_examples_and_snippets_use_only_the_documented_api() {
    let hidden = hidden_paths();
    for must in [
        "mcp_worker::auth",
        "mcp_worker::http",
        "mcp_worker::mcp::post",
        "mcp_worker::durable::Object",
        "mcp_worker::testing::handle",
        "mcp_worker::oauth::grant",
    ] {
        assert!(hidden.iter().any(|h| h == must), "{must} in {hidden:?}");
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "examples", "starter/src", "tests/conformance/src"] {
        rust_files(&root.join(dir), &mut files);
    }
    files.retain(|f| {
        let rel = f.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        // The fixture's schema tests reach further, as host tests may.
        !rel.ends_with("_test.rs")
    });
    let mut texts: Vec<(String, String)> = files
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(root).unwrap().display().to_string();
            (rel, code_lines(&fs::read_to_string(f).unwrap()).join("\n"))
        })
        .collect();
    // The Rust blocks of the docs and of the library's README, whatever their fence says
    // after `rust` (`rust,ignore`, `rust no_run`).
    let mut pages = vec![
        root.join("README.md"),
        root.join("crates/mcp-worker/README.md"),
    ];
    for e in fs::read_dir(root.join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            pages.push(p);
        }
    }
    for page in pages {
        let text = fs::read_to_string(&page).unwrap();
        let mut fence: Option<&str> = None;
        let mut in_rust = false;
        let mut block = String::new();
        for line in text.lines() {
            let t = line.trim_start();
            let opens = t.starts_with("```") || t.starts_with("~~~");
            if let Some(f) = fence {
                if t.starts_with(f) && t.trim_end() == f {
                    if in_rust {
                        let rel = page.strip_prefix(root).unwrap().display().to_string();
                        texts.push((rel, code_lines(&block).join("\n")));
                    }
                    block.clear();
                    fence = None;
                    continue;
                }
                if in_rust {
                    block.push_str(line);
                    block.push('\n');
                }
            } else if opens {
                let marker = &t[..3];
                fence = Some(if marker == "```" { "```" } else { "~~~" });
                in_rust = t[3..].trim_start().starts_with("rust");
            }
        }
    }
    let mut problems = Vec::new();
    for (file, code) in &texts {
        if code.contains("use mcp_worker as ") {
            problems.push(format!(
                "{file}: renames the crate (`use mcp_worker as …`); name its paths as they are"
            ));
        }
        for path in library_paths(code) {
            if let Some(h) = hidden.iter().find(|h| within(&path, h)) {
                problems.push(format!(
                    "{file}: uses {path}, which the library hides ({h} is not part of its API)"
                ));
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Strips a TOML comment: a `#` outside a quoted string.
fn toml_code(line: &str) -> &str {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return line[..i].trim(),
            _ => {}
        }
    }
    line.trim()
}

/// The apps' workers build without the library's `unstable` feature: only a
/// `[dev-dependencies]` entry (host tests, benchmarks) may turn it on, and Cargo's
/// resolver 2 (the workspace's, from its edition) leaves dev-dependencies' features out
/// of the worker's build. No feature of the library turns it on either.
#[test]
fn apps_build_without_the_unstable_feature() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    let workspace = fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(
        workspace.lines().map(toml_code).any(|l| l == "edition = \"2021\"" || l == "resolver = \"2\""),
        "the workspace must use Cargo's resolver 2 (edition 2021), which keeps dev-dependencies' features out of the worker build"
    );
    // The workspace's members, and the starter, which is a workspace of its own.
    let members_line = workspace
        .lines()
        .map(toml_code)
        .find(|l| l.starts_with("members"))
        .expect("the root Cargo.toml lists its workspace members");
    let mut manifests: Vec<String> = members_line
        .split('"')
        .skip(1)
        .step_by(2)
        .map(|m| {
            if m == "." {
                "Cargo.toml".to_owned()
            } else {
                format!("{m}/Cargo.toml")
            }
        })
        .collect();
    manifests.push("starter/Cargo.toml".into());
    for manifest in &manifests {
        let text = fs::read_to_string(root.join(manifest)).unwrap();
        let library = manifest == "crates/mcp-worker/Cargo.toml";
        let mut section = String::new();
        for (i, line) in text.lines().enumerate() {
            let code = toml_code(line);
            if code.starts_with('[') {
                section = code.to_owned();
                continue;
            }
            if !code.contains("unstable") {
                continue;
            }
            // The library declares the feature itself (`unstable = []`), and nothing else.
            let allowed = if library {
                section == "[features]" && code.replace(' ', "") == "unstable=[]"
            } else {
                section == "[dev-dependencies]"
            };
            if !allowed {
                problems.push(format!(
                    "{manifest}:{}: {section} turns on `unstable`: {code}",
                    i + 1
                ));
            }
        }
    }
    assert!(manifests
        .iter()
        .any(|m| m == "crates/mcp-worker/Cargo.toml"));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
