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
