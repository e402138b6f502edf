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

/// Every Rust block of a page under docs/ must appear, as it stands, in one of the files
/// the tests compile: the page cannot show code that no longer builds.
fn assert_blocks_compiled(page: &str, text: &str, compiled: &[(&str, &str)]) {
    let mut blocks = 0;
    for block in text.split("```rust\n").skip(1) {
        let code = block.split("```").next().unwrap_or_default();
        assert!(
            compiled.iter().any(|(_, source)| source.contains(code)),
            "a Rust block of {page} is in none of {:?}; copy it from the file it comes from:\n{code}",
            compiled.iter().map(|(f, _)| *f).collect::<Vec<_>>()
        );
        blocks += 1;
    }
    assert!(blocks > 0, "{page} shows no Rust block");
}

#[test]
fn the_resources_and_prompts_page_shows_compiled_code() {
    assert_blocks_compiled(
        "docs/resources-prompts.md",
        include_str!("../docs/resources-prompts.md"),
        &[
            (
                "examples/resources/whoami.rs",
                include_str!("../examples/resources/whoami.rs"),
            ),
            (
                "examples/resources/dice_rules.rs",
                include_str!("../examples/resources/dice_rules.rs"),
            ),
            (
                "examples/prompts/roll_for.rs",
                include_str!("../examples/prompts/roll_for.rs"),
            ),
            (
                "examples/registries/server.rs",
                include_str!("../examples/registries/server.rs"),
            ),
            (
                "tests/conformance/src/examples_test.rs",
                include_str!("conformance/src/examples_test.rs"),
            ),
        ],
    );
}
