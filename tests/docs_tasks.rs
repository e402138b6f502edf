//! docs/tasks.md shows code that is compiled and tested elsewhere: each of its code blocks
//! must appear, as it stands, in one of the files it quotes.

const DOC: &str = include_str!("../docs/tasks.md");
const SOURCES: [(&str, &str); 3] = [
    (
        "examples/tools/export_report.rs",
        include_str!("../examples/tools/export_report.rs"),
    ),
    (
        "tests/conformance/src/lib.rs",
        include_str!("conformance/src/lib.rs"),
    ),
    (
        "tests/conformance/wrangler.toml",
        include_str!("conformance/wrangler.toml"),
    ),
];

/// The fenced code blocks of a Markdown text, without their fences.
fn blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.starts_with("```")) {
            (None, true) => current = Some(String::new()),
            (Some(block), true) => {
                out.push(std::mem::take(block));
                current = None;
            }
            (Some(block), false) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, false) => {}
        }
    }
    out
}

#[test]
fn every_code_block_of_the_tasks_page_is_in_a_compiled_file() {
    let found = blocks(DOC);
    assert_eq!(found.len(), 3, "the page's code blocks");
    for block in found {
        assert!(
            SOURCES.iter().any(|(_, source)| source.contains(&block)),
            "docs/tasks.md shows code found in none of {:?}:\n{block}",
            SOURCES.map(|(name, _)| name)
        );
    }
}
