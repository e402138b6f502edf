//! The README's "Adding a tool" example is the file the fixture worker compiles and the
//! tests run (examples/tools/ask_upstream.rs): this keeps the two identical.

#[test]
fn the_readme_shows_the_compiled_example_tool() {
    let readme = include_str!("../README.md");
    let example = include_str!("../examples/tools/ask_upstream.rs");
    let section = readme
        .split("## Adding a tool")
        .nth(1)
        .expect("the README has an 'Adding a tool' section");
    let block = section
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section starts with a rust code block");
    assert_eq!(
        block, example,
        "README's example differs from examples/tools/ask_upstream.rs: copy the file into the README"
    );
}
