//! The README's example tools are the files the fixture worker compiles and the tests run
//! (examples/tools/): this keeps each README block identical to its file.

fn assert_shown(file: &str, source: &str) {
    let readme = include_str!("../README.md");
    let block = format!("```rust\n{source}```");
    assert!(
        readme.contains(&block),
        "README's example differs from {file}: copy the file into the README's ```rust block"
    );
}

#[test]
fn the_readme_shows_the_compiled_example_tools() {
    assert_shown(
        "examples/tools/ask_upstream.rs",
        include_str!("../examples/tools/ask_upstream.rs"),
    );
    assert_shown(
        "examples/tools/notes.rs",
        include_str!("../examples/tools/notes.rs"),
    );
}

/// docs/apps.md: every code block is a verbatim excerpt of a file that is compiled (the
/// product, the fixture worker's example app) or served and run in the browser test.
#[test]
fn the_apps_page_shows_only_code_that_is_compiled_and_tested() {
    let sources = [
        include_str!("../src/tools/dice.rs"),
        include_str!("../src/lib.rs"),
        include_str!("../examples/apps/greeting.rs"),
        include_str!("../examples/apps/greeting.html"),
    ];
    let page = include_str!("../docs/apps.md");
    let mut blocks = 0;
    let mut rest = page;
    while let Some(start) = rest.find("\n```") {
        let after = &rest[start + 4..];
        let Some(line_end) = after.find('\n') else {
            break;
        };
        let lang = &after[..line_end];
        let body_start = &after[line_end + 1..];
        let end = body_start
            .find("```")
            .expect("docs/apps.md: a code block is not closed");
        let body = &body_start[..end];
        assert!(
            sources.iter().any(|s| s.contains(body)),
            "docs/apps.md: this ```{lang} block is not in the files it shows; copy it from them:\n{body}"
        );
        blocks += 1;
        rest = &body_start[end + 3..];
    }
    assert!(blocks >= 5, "docs/apps.md has {blocks} code blocks");
}
