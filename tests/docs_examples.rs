//! Every code block of the pages below is a file the build compiles or a test runs: the
//! block's first line names the file (`// tests/recipe_tool.rs: …`) and the block must be
//! that file, byte for byte, so a page never shows code nothing checks.

use std::fs;
use std::path::Path;

const PAGES: [&str; 3] = [
    "docs/testing.md",
    "docs/custom-headers.md",
    "docs/skills.md",
];

/// The fenced blocks of a Markdown page: (info string, body).
fn blocks(page: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = page.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let mut body = String::new();
        for inner in lines.by_ref() {
            if inner == "```" {
                break;
            }
            body.push_str(inner);
            body.push('\n');
        }
        out.push((info.to_owned(), body));
    }
    out
}

#[test]
fn every_block_of_the_pages_is_a_checked_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for page in PAGES {
        let text = fs::read_to_string(root.join(page)).unwrap();
        let found = blocks(&text);
        assert!(!found.is_empty(), "{page} has no code block");
        for (info, body) in found {
            let first = body.lines().next().unwrap_or("");
            let file = first
                .strip_prefix("// ")
                .and_then(|rest| rest.split(':').next())
                .unwrap_or_else(|| {
                    panic!("{page}: a ```{info} block must start with `// path: …` naming its file")
                });
            let source = fs::read_to_string(root.join(file))
                .unwrap_or_else(|e| panic!("{page}: block names {file}: {e}"));
            assert!(
                source == body,
                "{page}: the block for {file} differs from the file; copy the file into the page"
            );
        }
    }
}
