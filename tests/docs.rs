//! Every code block in README.md and docs/*.md is checked against something that runs:
//!
//! - `rust`, `python`, `js`, `html`: the block is quoted from a compiled or run file (examples/, src/,
//!   tests/, scripts/). A line `// ...` (or `# ...`, `<!-- ... -->`) stands for lines left out; every run of lines
//!   between such markers must appear, in order, in one file.
//! - `toml`: the same, against the project's wrangler configurations; a line holding a
//!   `<placeholder>` stands for a value the reader fills in, and its key must be there.
//! - `json`: parses.
//! - `sh`: every `npm run NAME` names a script in package.json, every `npx NAME` a command
//!   the project installs, and every `scripts/`, `examples/`, `tests/` path exists.
//! - `text`: shown output or a tree; in docs/layout.md every path it lists exists.
//!
//! A block with no language, or another one, fails: say what it is.
//!
//! A code block whose first line is `// PATH: …` shows that whole file: it must equal the
//! file byte for byte. Every block of the pages in [`WHOLE_FILE_PAGES`] must be one.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Pages whose every block is a whole file, named on its first line.
const WHOLE_FILE_PAGES: [&str; 3] = [
    "docs/testing.md",
    "docs/custom-headers.md",
    "docs/skills.md",
];

/// A block that names its file on its first line (`// tests/x.rs: what it is`) must be
/// that file, whole; `Ok(false)` when it names none.
fn check_whole_file(b: &Block) -> Result<bool, String> {
    let Some(file) = b
        .body
        .lines()
        .next()
        .and_then(|first| first.strip_prefix("// "))
        .and_then(|rest| rest.split_once(':'))
        .map(|(path, _)| path)
        .filter(|path| !path.contains(' ') && path.contains('/'))
    else {
        return Ok(false);
    };
    let source = fs::read_to_string(root().join(file))
        .map_err(|e| format!("names {file}, which cannot be read: {e}"))?;
    if source == b.body {
        Ok(true)
    } else {
        Err(format!(
            "differs from {file}, which it names: copy the file into the page"
        ))
    }
}

struct Block {
    page: String,
    line: usize,
    lang: String,
    body: String,
}

fn pages() -> Vec<PathBuf> {
    let mut pages = vec![
        root().join("README.md"),
        root().join("crates/mcp-worker/README.md"),
    ];
    let mut docs: Vec<PathBuf> = fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

fn blocks(page: &Path) -> Vec<Block> {
    let text = fs::read_to_string(page).unwrap();
    let name = page.strip_prefix(root()).unwrap().display().to_string();
    let mut out = Vec::new();
    let mut open: Option<(usize, String, String)> = None;
    for (i, line) in text.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(lang)) => open = Some((i + 1, lang.trim().to_string(), String::new())),
            (Some(_), Some("")) => {
                let (line, lang, body) = open.take().unwrap();
                out.push(Block {
                    page: name.clone(),
                    line,
                    lang,
                    body,
                });
            }
            (Some((_, _, body)), _) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "{name}: a code block is never closed");
    out
}

/// Files under `dir` (recursively) whose name ends with one of `exts`.
fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if p.is_dir() {
            if !["target", "node_modules", "build", ".wrangler"].contains(&name.as_str()) {
                files(&p, exts, out);
            }
        } else if exts.iter().any(|x| name.ends_with(x)) {
            out.push(p);
        }
    }
}

fn sources(dirs: &[&str], exts: &[&str]) -> Vec<(PathBuf, String)> {
    let mut paths = Vec::new();
    for d in dirs {
        files(&root().join(d), exts, &mut paths);
    }
    paths
        .into_iter()
        .map(|p| {
            let text = fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

/// The runs of lines between elision markers.
fn chunks(body: &str, marker: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    for line in body.lines() {
        if line.trim() == marker {
            out.push(String::new());
        } else {
            let last = out.last_mut().unwrap();
            last.push_str(line);
            last.push('\n');
        }
    }
    out.into_iter().filter(|c| !c.trim().is_empty()).collect()
}

/// Every chunk appears in `text`, each after the one before; a chunk may be quoted with
/// the file's indentation taken off (a method shown outside its `impl`).
fn quoted_in(text: &str, chunks: &[String]) -> bool {
    let mut from = 0;
    for c in chunks {
        let found = ["", "    ", "        "].iter().find_map(|indent| {
            let shifted: String = c
                .lines()
                .map(|l| match l.is_empty() {
                    true => "\n".to_string(),
                    false => format!("{indent}{l}\n"),
                })
                .collect();
            text[from..].find(&shifted).map(|at| at + shifted.len())
        });
        match found {
            Some(end) => from += end,
            None => return false,
        }
    }
    true
}

fn check_quoted(b: &Block, marker: &str, candidates: &[(PathBuf, String)]) -> Result<(), String> {
    let chunks = chunks(&b.body, marker);
    if candidates.iter().any(|(_, text)| quoted_in(text, &chunks)) {
        Ok(())
    } else {
        Err(format!(
            "is not quoted from any compiled or run file: copy it from the file (use a `{marker}` line for what you leave out)"
        ))
    }
}

fn check_toml(b: &Block, configs: &[(PathBuf, String)]) -> Result<(), String> {
    // Lines with a placeholder keep only their key.
    let lines: Vec<String> = b
        .body
        .lines()
        .map(|l| match (l.contains('<'), l.split_once('=')) {
            (true, Some((key, _))) => format!("{}=", key),
            _ => l.to_string(),
        })
        .collect();
    let found = configs.iter().any(|(_, text)| {
        let mut from = 0;
        lines.iter().all(|l| match text[from..].find(l.as_str()) {
            Some(at) => {
                from += at + l.len();
                true
            }
            None => false,
        })
    });
    if found {
        Ok(())
    } else {
        Err("is not in any wrangler configuration of the project".into())
    }
}

fn check_sh(b: &Block) -> Result<(), String> {
    // docs/start.md's commands run in a copy of the starter, with its package.json.
    let package_json = match b.page.as_str() {
        "docs/start.md" => "starter/package.json",
        _ => "package.json",
    };
    let package: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(root().join(package_json)).unwrap()).unwrap();
    let scripts = package["scripts"].as_object().unwrap();
    // The commands `npx NAME` runs, by the devDependency that installs them.
    let npx = [
        ("wrangler", "wrangler"),
        ("mcp-inspector", "@modelcontextprotocol/inspector"),
        ("conformance", "@modelcontextprotocol/conformance"),
    ];
    let text = b.body.replace("\\\n", " ");
    for line in text.lines() {
        let line = line.split(" #").next().unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        for (i, w) in words.iter().enumerate() {
            let w = w.trim_start_matches("$(");
            if w == "npm" && words.get(i + 1) == Some(&"run") {
                let name = words[i + 2..]
                    .iter()
                    .find(|w| !w.starts_with('-'))
                    .map(|w| w.trim_end_matches(')'))
                    .ok_or("`npm run` without a script name")?;
                // The smoke check is the repository's, run from its folder.
                let repository_script = package_json != "package.json" && name == "smoke";
                if !scripts.contains_key(name) && !repository_script {
                    return Err(format!("runs `npm run {name}`, which {package_json} lacks"));
                }
            }
            if w == "npx" {
                let name = words.get(i + 1).ok_or("`npx` alone")?;
                let Some((_, dep)) = npx.iter().find(|(bin, _)| bin == name) else {
                    return Err(format!(
                        "runs `npx {name}`, which the project does not install"
                    ));
                };
                if package["devDependencies"].get(dep).is_none() {
                    return Err(format!(
                        "runs `npx {name}`, but {dep} is not a devDependency"
                    ));
                }
            }
            for dir in ["scripts/", "examples/", "tests/", "bench/"] {
                if w.starts_with(dir) && !root().join(w).exists() {
                    return Err(format!("names {w}, which does not exist"));
                }
            }
        }
    }
    Ok(())
}

fn check_layout(b: &Block) -> Result<(), String> {
    for line in b.body.lines() {
        let Some(first) = line.split_whitespace().next() else {
            continue;
        };
        let looks_like_path = !line.starts_with(' ') && first.contains('/');
        if looks_like_path {
            for path in first.split(',') {
                let path = path.trim_end_matches('/');
                let is_glob = path.contains('*');
                if !is_glob && !root().join(path).exists() {
                    return Err(format!("lists {path}, which does not exist"));
                }
            }
        }
    }
    Ok(())
}

#[test]
fn every_code_block_in_the_docs_is_checked() {
    let code = sources(
        &["examples", "src", "crates", "starter", "tests", "scripts"],
        &[".rs", ".py", ".mjs", ".js", ".html"],
    );
    let mut configs = sources(
        &[".", "tests", "examples", "bench"],
        &["wrangler.toml", "wrangler.oauth.toml"],
    );
    configs.extend(sources(&["starter"], &["wrangler.toml", "Cargo.toml"]));
    let mut problems = Vec::new();
    let mut count = 0;
    for page in pages() {
        for b in blocks(&page) {
            count += 1;
            match check_whole_file(&b) {
                Ok(true) => continue,
                Ok(false) if WHOLE_FILE_PAGES.contains(&b.page.as_str()) => {
                    problems.push(format!(
                        "{}:{}: the {} block must start with `// PATH: …` naming the file it shows",
                        b.page, b.line, b.lang
                    ));
                    continue;
                }
                Ok(false) => {}
                Err(e) => {
                    problems.push(format!("{}:{}: the {} block {e}", b.page, b.line, b.lang));
                    continue;
                }
            }
            let result = match b.lang.as_str() {
                "rust" => check_quoted(&b, "// ...", &code),
                "python" => check_quoted(&b, "# ...", &code),
                "js" => check_quoted(&b, "// ...", &code),
                "html" => check_quoted(&b, "<!-- ... -->", &code),
                "toml" => check_toml(&b, &configs),
                "json" => serde_json::from_str::<serde_json::Value>(&b.body)
                    .map(|_| ())
                    .map_err(|e| format!("is not JSON: {e}")),
                "sh" => check_sh(&b),
                "text" if b.page == "docs/layout.md" => check_layout(&b),
                "text" => Ok(()),
                other => Err(format!(
                    "has language {other:?}: tag it rust, python, js, html, toml, json, sh or text"
                )),
            };
            if let Err(e) = result {
                problems.push(format!("{}:{}: the {} block {e}", b.page, b.line, b.lang));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        count > 10,
        "found only {count} code blocks: is docs/ there?"
    );
}

#[test]
fn the_checks_refuse_what_they_should() {
    let block = |lang: &str, body: &str| Block {
        page: "t.md".into(),
        line: 1,
        lang: lang.into(),
        body: body.into(),
    };
    let code = vec![(
        PathBuf::from("a.rs"),
        "fn a() {}\nfn b() {}\nfn c() {}\n".into(),
    )];
    assert!(check_quoted(
        &block("rust", "fn a() {}\n// ...\nfn c() {}\n"),
        "// ...",
        &code
    )
    .is_ok());
    assert!(check_quoted(
        &block("rust", "fn c() {}\n// ...\nfn a() {}\n"),
        "// ...",
        &code
    )
    .is_err());
    assert!(check_quoted(&block("rust", "fn d() {}\n"), "// ...", &code).is_err());
    assert!(check_sh(&block("sh", "npm run no-such-script\n")).is_err());
    assert!(check_sh(&block("sh", "npx not-installed\n")).is_err());
    assert!(check_sh(&block("sh", "bash scripts/nope.sh\n")).is_err());
    assert!(check_sh(&block("sh", "TOKEN=$(npm run -s token)\nnpm test\n")).is_ok());
    let configs = vec![(
        PathBuf::from("wrangler.toml"),
        "[[kv_namespaces]]\nbinding = \"NOTES\"\nid = \"0\"\n".into(),
    )];
    let kv = "[[kv_namespaces]]\nbinding = \"NOTES\"\nid = \"<the id>\"\n";
    assert!(check_toml(&block("toml", kv), &configs).is_ok());
    assert!(check_toml(&block("toml", "[vars]\nX = \"1\"\n"), &configs).is_err());
    assert!(check_layout(&block("text", "src/nope.rs   gone\n")).is_err());
    assert_eq!(check_whole_file(&block("rust", "fn a() {}\n")), Ok(false));
    assert!(check_whole_file(&block("rust", "// tests/docs.rs: this file\nfn a() {}\n")).is_err());
    let recipe = fs::read_to_string(root().join("tests/recipe_tool.rs")).unwrap();
    assert_eq!(check_whole_file(&block("rust", &recipe)), Ok(true));
    let changed = recipe.replacen('\n', "\n// an extra line\n", 2);
    assert!(check_whole_file(&block("rust", &changed)).is_err());
}
