//! Agent Skills served over MCP: the `io.modelcontextprotocol/skills` extension (SEP-2640,
//! as the conformance suite 0.2.0-alpha.12 checks it).
//!
//! A skill is a directory of files with a `SKILL.md` at its root whose YAML frontmatter
//! holds at least `name` and `description` (agentskills.io). Each file is a resource at
//! `skill://<name>/<path>`; `skills/list` and `skills/get` describe each skill by its
//! frontmatter and a manifest of its files (URI, SHA-256 digest, size), and
//! `resources/directory/read` lists a directory's children. An author declares a skill in
//! one static ([`Skill`]) and registers it in one line ([`Skills::new`]).

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The extension's identifier under `capabilities.extensions`.
pub const EXTENSION: &str = "io.modelcontextprotocol/skills";
/// The scheme of every skill file's URI.
pub const SCHEME: &str = "skill://";
/// The MIME type the extension gives a directory in `resources/directory/read`.
pub const DIRECTORY_MIME: &str = "inode/directory";
const SKILL_MD: &str = "SKILL.md";

/// One skill: its `SKILL.md` and the other files of its directory.
///
/// ```ignore
/// pub static PDF: Skill = Skill {
///     skill_md: include_str!("skills/pdf-processing/SKILL.md"),
///     files: &[SkillFile::text("references/FORMS.md", "text/markdown",
///         include_str!("skills/pdf-processing/references/FORMS.md"))],
/// };
/// ```
pub struct Skill {
    /// The whole `SKILL.md`: `---` YAML frontmatter `---`, then the instructions.
    pub skill_md: &'static str,
    /// Every other file, by its path from the skill's root (`references/FORMS.md`).
    pub files: &'static [SkillFile],
}

/// A file of a skill other than `SKILL.md`.
pub struct SkillFile {
    /// Its path from the skill's root (`references/FORMS.md`).
    pub path: &'static str,
    /// Its MIME type.
    pub mime_type: &'static str,
    /// Its contents.
    pub text: &'static str,
}

impl SkillFile {
    /// A text file at `path` in the skill.
    pub const fn text(path: &'static str, mime_type: &'static str, text: &'static str) -> Self {
        SkillFile {
            path,
            mime_type,
            text,
        }
    }
}

/// A file of a served skill, ready to list and read.
#[derive(Debug)]
pub struct File {
    /// `skill://<name>/<path>`.
    pub uri: String,
    /// Its MIME type (`text/markdown` for `SKILL.md`).
    pub mime_type: &'static str,
    /// Its contents.
    pub text: &'static str,
    /// [`digest`] of `text`, computed once when the skills are loaded.
    pub digest: String,
}

/// A skill once checked: its frontmatter as JSON and its files (`SKILL.md` first).
#[derive(Debug)]
pub struct Loaded {
    /// The frontmatter's `name`.
    pub name: String,
    /// The frontmatter's `description`.
    pub description: String,
    /// The whole frontmatter.
    pub frontmatter: Map<String, Value>,
    /// Its files: `SKILL.md`, then the others in the order the skill lists them.
    pub files: Vec<File>,
}

impl Loaded {
    /// `skill://<name>/SKILL.md`, the skill's own URI.
    pub fn uri(&self) -> &str {
        &self.files[0].uri
    }

    /// `skill://<name>`, the skill's directory.
    pub fn root(&self) -> String {
        format!("{SCHEME}{}", self.name)
    }

    /// The entry of `skills/list` and `skills/get`: URI, frontmatter and the complete
    /// manifest of files (SEP-2640 "Skill entries").
    pub fn entry(&self) -> Value {
        let resources: Vec<Value> = self
            .files
            .iter()
            .map(|f| {
                json!({
                    "uri": f.uri,
                    "digest": f.digest,
                    "size": f.text.len(),
                })
            })
            .collect();
        json!({ "uri": self.uri(), "frontmatter": self.frontmatter, "resources": resources })
    }
}

#[cfg(test)]
thread_local! {
    /// How many digests were computed, for a test that they are computed once.
    static DIGESTS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// `sha256:` and 64 lower-case hex digits of the bytes.
pub fn digest(bytes: &[u8]) -> String {
    #[cfg(test)]
    DIGESTS.with(|d| d.set(d.get() + 1));
    let hash = Sha256::digest(bytes);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in hash {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
    out
}

/// No skills: the server declares no skills extension and links none of its code
/// (`skills: &skills::NONE`).
pub static NONE: Skills = Skills {
    skills: &[],
    loaded: OnceLock::new(),
    serve: None,
};

/// The skills a server publishes, checked and indexed once per isolate.
pub struct Skills {
    skills: &'static [&'static Skill],
    loaded: OnceLock<Result<Vec<Loaded>, String>>,
    /// The code that serves them: present only in a set made by [`Skills::new`].
    serve: Option<&'static crate::mcp::skills::Methods>,
}

impl Skills {
    /// These skills, checked and indexed when first asked for (`Server::check` asks before
    /// any request is served). Unlike [`NONE`], it links the code that serves them.
    pub const fn new(skills: &'static [&'static Skill]) -> Self {
        Skills {
            skills,
            loaded: OnceLock::new(),
            serve: Some(&crate::mcp::skills::METHODS),
        }
    }

    pub(crate) fn serve(&self) -> Option<&'static crate::mcp::skills::Methods> {
        self.serve
    }

    /// Skill files are resources: a server with skills serves `resources/*`.
    pub(crate) fn primitives(&self) -> Option<&'static crate::mcp::primitive_methods::Methods> {
        self.serve.map(|s| s.resources)
    }

    /// Every skill, or what is wrong with one (a bad frontmatter, a name the Agent Skills
    /// rules refuse, two skills of one name, a file path that leaves the directory).
    pub fn check(&self) -> Result<&[Loaded], String> {
        let Some(serve) = self.serve else {
            return Ok(&[]);
        };
        self.loaded
            .get_or_init(|| (serve.load)(self.skills))
            .as_deref()
            .map_err(Clone::clone)
    }

    /// The skills, or none when the check failed (the worker refuses to serve then).
    pub fn all(&self) -> &[Loaded] {
        self.check().unwrap_or(&[])
    }

    /// Whether it holds no skills.
    pub fn is_empty(&self) -> bool {
        self.skills.is_empty()
    }

    /// The skill whose `SKILL.md` has this URI.
    pub fn by_uri(&self, uri: &str) -> Option<&Loaded> {
        self.all().iter().find(|s| s.uri() == uri)
    }

    /// The file at `uri`, in any skill.
    pub fn file(&self, uri: &str) -> Option<&File> {
        self.all()
            .iter()
            .flat_map(|s| s.files.iter())
            .find(|f| f.uri == uri)
    }

    /// The direct children of the directory at `uri` (`skill://name` or
    /// `skill://name/sub`, a trailing `/` allowed): files with their MIME type and
    /// subdirectories as `inode/directory`, in the order the skill lists its files.
    /// `None` when `uri` is no directory of a skill.
    pub fn directory(&self, uri: &str) -> Option<Vec<Child>> {
        let dir = uri.strip_suffix('/').unwrap_or(uri);
        let rest = dir.strip_prefix(SCHEME)?;
        let name = rest.split('/').next()?;
        let skill = self.all().iter().find(|s| s.name == name)?;
        let prefix = format!("{dir}/");
        let mut children: Vec<Child> = Vec::new();
        for f in &skill.files {
            let Some(below) = f.uri.strip_prefix(&prefix) else {
                continue;
            };
            match below.split_once('/') {
                None => children.push(Child {
                    uri: f.uri.clone(),
                    name: below.to_owned(),
                    mime_type: f.mime_type,
                }),
                Some((sub, _)) => {
                    let uri = format!("{prefix}{sub}");
                    if !children.iter().any(|c| c.uri == uri) {
                        children.push(Child {
                            uri,
                            name: sub.to_owned(),
                            mime_type: DIRECTORY_MIME,
                        });
                    }
                }
            }
        }
        // A path with files below it is a directory; anything else (a file) is not.
        (dir == skill.root() || !children.is_empty()).then_some(children)
    }
}

/// One entry of a directory listing.
#[derive(Debug, PartialEq, Eq)]
pub struct Child {
    /// The child's URI.
    pub uri: String,
    /// The last segment of its path.
    pub name: String,
    /// Its MIME type; [`DIRECTORY_MIME`] for a directory.
    pub mime_type: &'static str,
}

pub(crate) fn load_all(skills: &[&'static Skill]) -> Result<Vec<Loaded>, String> {
    let mut all: Vec<Loaded> = Vec::new();
    for skill in skills {
        let loaded = load(skill)?;
        if all.iter().any(|s| s.name == loaded.name) {
            return Err(format!("two skills are named {}", loaded.name));
        }
        all.push(loaded);
    }
    Ok(all)
}

fn load(skill: &Skill) -> Result<Loaded, String> {
    let frontmatter = frontmatter(skill.skill_md)?;
    let field = |key: &str| match frontmatter.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(format!(
            "a SKILL.md's frontmatter must have a non-empty string '{key}'"
        )),
    };
    let name = field("name")?;
    let description = field("description")?;
    if !valid_name(&name) {
        return Err(format!(
            "skill name {name:?}: use 1 to 64 of a-z 0-9 and '-', not at either end and never two in a row"
        ));
    }
    let mut files = vec![File {
        uri: format!("{SCHEME}{name}/{SKILL_MD}"),
        mime_type: "text/markdown",
        text: skill.skill_md,
        digest: digest(skill.skill_md.as_bytes()),
    }];
    for f in skill.files {
        let bad = f.path.is_empty()
            || f.path == SKILL_MD
            || f.path
                .split('/')
                .any(|seg| seg.is_empty() || seg == "." || seg == "..");
        if bad {
            return Err(format!(
                "skill {name}: file path {:?} must be a relative path inside the skill, other than SKILL.md",
                f.path
            ));
        }
        let uri = format!("{SCHEME}{name}/{}", f.path);
        if files.iter().any(|g| g.uri == uri) {
            return Err(format!("skill {name}: {} is listed twice", f.path));
        }
        files.push(File {
            uri,
            mime_type: f.mime_type,
            text: f.text,
            digest: digest(f.text.as_bytes()),
        });
    }
    Ok(Loaded {
        name,
        description,
        frontmatter,
        files,
    })
}

/// The Agent Skills naming rule: 1 to 64 of `a-z0-9-`, no leading, trailing or doubled `-`.
fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

/// The YAML frontmatter of a `SKILL.md`, as JSON. Reads the subset skills use: `key: value`
/// lines whose values are plain, 'single'- or "double"-quoted scalars, and one level of
/// nested mappings of those (`metadata:` then indented `key: value`). Anything else is
/// refused with the line, so the JSON the server publishes is what a YAML parser reads.
pub fn frontmatter(text: &str) -> Result<Map<String, Value>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines();
    if lines.next().map(str::trim_end) != Some("---") {
        return Err("a SKILL.md must begin with a '---' line opening its YAML frontmatter".into());
    }
    let mut top = Map::new();
    let mut open: Option<(String, Map<String, Value>)> = None;
    for line in lines {
        if line.trim_end() == "---" {
            if let Some((key, map)) = open.take() {
                top.insert(key, Value::Object(map));
            }
            return Ok(top);
        }
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let nested = line.starts_with(' ');
        let (key, value) = line
            .trim()
            .split_once(':')
            .ok_or_else(|| format!("frontmatter line {line:?} is not 'key: value'"))?;
        let key = key.trim().to_owned();
        let value = value.trim();
        if key.is_empty() || key.contains(['"', '\'', '{', '[']) {
            return Err(format!(
                "frontmatter line {line:?} has a key this reader does not take"
            ));
        }
        match (nested, open.as_mut()) {
            (true, Some((_, map))) => {
                map.insert(key, scalar(value, line)?);
            }
            (true, None) => {
                return Err(format!(
                    "frontmatter line {line:?} is indented under nothing"
                ))
            }
            (false, _) => {
                if let Some((k, map)) = open.take() {
                    top.insert(k, Value::Object(map));
                }
                if value.is_empty() {
                    open = Some((key, Map::new()));
                } else {
                    top.insert(key, scalar(value, line)?);
                }
            }
        }
    }
    Err("the SKILL.md frontmatter has no closing '---' line".into())
}

/// A YAML scalar as a YAML 1.2 core-schema reader types it.
fn scalar(v: &str, line: &str) -> Result<Value, String> {
    let unsupported = || {
        format!(
            "frontmatter line {line:?}: write the value as plain text or in quotes (lists, maps, anchors, tags and block scalars are not read)"
        )
    };
    if let Some(inner) = v.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        // A YAML double-quoted scalar of this shape reads as the JSON string would.
        return match serde_json::from_str::<Value>(&format!("\"{inner}\"")) {
            Ok(text @ Value::String(_)) => Ok(text),
            _ => Err(unsupported()),
        };
    }
    if let Some(inner) = v.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        if inner.replace("''", "").contains('\'') {
            return Err(unsupported());
        }
        return Ok(Value::String(inner.replace("''", "'")));
    }
    if v.starts_with(['[', '{', '&', '*', '!', '|', '>', '"', '\'', '%', '@', '`'])
        || v.starts_with("- ")
        || v.starts_with("? ")
        || v.contains(" #")
        || v.contains(": ")
    {
        return Err(unsupported());
    }
    Ok(match v {
        "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => match v.parse::<i64>() {
            Ok(n) if !v.starts_with('+') => Value::from(n),
            _ if looks_numeric(v) => return Err(unsupported()),
            _ => Value::String(v.to_owned()),
        },
    })
}

/// Values a YAML reader might take for a number (floats, hex, octal, `.inf`): refused
/// rather than guessed.
fn looks_numeric(v: &str) -> bool {
    let v = v.trim_start_matches(['+', '-']);
    v.starts_with('.') && v.len() > 1
        || v.starts_with("0x")
        || v.starts_with("0o")
        || is_float_literal(v)
}

/// What `str::parse::<f64>` accepts (an optional sign, then `inf`, `infinity` or `nan`
/// in any case, or digits with an optional point and exponent), without linking the
/// float parser and its table (about 17 KB of the wasm) to answer yes or no.
fn is_float_literal(v: &str) -> bool {
    let v = v.strip_prefix(['+', '-']).unwrap_or(v);
    if ["inf", "infinity", "nan"]
        .iter()
        .any(|w| v.eq_ignore_ascii_case(w))
    {
        return true;
    }
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let (mantissa, exponent) = match v.find(['e', 'E']) {
        Some(i) => (&v[..i], Some(&v[i + 1..])),
        None => (v, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mantissa_ok =
        digits(int) == int.len() && digits(frac) == frac.len() && int.len() + frac.len() > 0;
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e) == e.len()
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string of up to five characters from the ones a float is made of: the
    /// literal check says what the float parser says.
    #[test]
    fn float_literals_are_what_the_float_parser_takes() {
        let alphabet = [
            "0", "7", ".", "e", "E", "+", "-", "x", "inf", "nan", "INFINITY",
        ];
        let mut strings = vec![String::new()];
        for _ in 0..5 {
            let mut longer = Vec::new();
            for s in &strings {
                for c in alphabet {
                    let t = format!("{s}{c}");
                    assert_eq!(is_float_literal(&t), t.parse::<f64>().is_ok(), "{t:?}");
                    longer.push(t);
                }
            }
            strings = longer;
        }
    }

    const MD: &str = "---\nname: pdf-processing\ndescription: \"Extract, fill: and assemble PDF documents\"\nlicense: Apache-2.0\nmetadata:\n  author: example-org\n  version: '1.0'\n---\n\n# PDF processing\n\nSee [the forms guide](references/FORMS.md).\n";
    static PDF: Skill = Skill {
        skill_md: MD,
        files: &[
            SkillFile::text("references/FORMS.md", "text/markdown", "# Forms\n"),
            SkillFile::text("scripts/fill.py", "text/x-python", "print('fill')\n"),
            SkillFile::text("LICENSE.txt", "text/plain", "Apache-2.0\n"),
        ],
    };
    static ALL: Skills = Skills::new(&[&PDF]);

    #[test]
    fn frontmatter_reads_as_yaml_would() {
        let fm = frontmatter(MD).unwrap();
        assert_eq!(
            Value::Object(fm),
            json!({
                "name": "pdf-processing",
                "description": "Extract, fill: and assemble PDF documents",
                "license": "Apache-2.0",
                "metadata": {"author": "example-org", "version": "1.0"}
            })
        );
        let typed = frontmatter("---\na: true\nb: 12\nc: ~\nd: it's\n---\n").unwrap();
        assert_eq!(
            Value::Object(typed),
            json!({"a": true, "b": 12, "c": null, "d": "it's"})
        );
    }

    #[test]
    fn frontmatter_this_reader_cannot_be_sure_of_is_refused() {
        for bad in [
            "no frontmatter",
            "---\nname: x\n",
            "---\nname: [a, b]\n---\n",
            "---\nversion: 1.0\n---\n",
            "---\ndescription: a # comment\n---\n",
            "---\ndescription: |\n  text\n---\n",
            "---\n  indented: x\n---\n",
            "---\njust words\n---\n",
        ] {
            assert!(frontmatter(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn digests_are_computed_once_when_the_skills_are_loaded() {
        static ONCE: Skills = Skills::new(&[&PDF]);
        let skill = &ONCE.check().unwrap()[0];
        let before = DIGESTS.with(|d| d.get());
        let first = skill.entry();
        assert_eq!(first, skill.entry());
        assert_eq!(
            DIGESTS.with(|d| d.get()),
            before,
            "skills/list hashed again"
        );
    }

    #[test]
    fn a_skill_lists_every_file_with_digest_and_size() {
        let skill = &ALL.check().unwrap()[0];
        assert_eq!(skill.uri(), "skill://pdf-processing/SKILL.md");
        let entry = skill.entry();
        assert_eq!(entry["frontmatter"]["name"], "pdf-processing");
        let files = entry["resources"].as_array().unwrap();
        assert_eq!(files.len(), 4);
        assert_eq!(files[0]["uri"], "skill://pdf-processing/SKILL.md");
        assert_eq!(files[0]["size"], MD.len());
        assert_eq!(files[1]["size"], 8);
        // sha256 of "# Forms\n".
        assert_eq!(files[1]["digest"], digest(b"# Forms\n"));
        assert_eq!(
            digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn directories_list_their_direct_children() {
        let root = ALL.directory("skill://pdf-processing").unwrap();
        let got: Vec<(&str, &str)> = root.iter().map(|c| (c.uri.as_str(), c.mime_type)).collect();
        assert_eq!(
            got,
            [
                ("skill://pdf-processing/SKILL.md", "text/markdown"),
                ("skill://pdf-processing/references", DIRECTORY_MIME),
                ("skill://pdf-processing/scripts", DIRECTORY_MIME),
                ("skill://pdf-processing/LICENSE.txt", "text/plain"),
            ]
        );
        let sub = ALL.directory("skill://pdf-processing/references/").unwrap();
        assert_eq!(sub.len(), 1);
        assert_eq!(sub[0].name, "FORMS.md");
        for not_a_dir in [
            "skill://pdf-processing/SKILL.md",
            "skill://pdf-processing/nothing",
            "skill://other",
            "file:///etc",
            "",
        ] {
            assert!(ALL.directory(not_a_dir).is_none(), "{not_a_dir}");
        }
    }

    #[test]
    fn bad_skills_fail_the_check_with_the_reason() {
        static BAD_NAME: Skill = Skill {
            skill_md: "---\nname: PDF--x\ndescription: d\n---\n",
            files: &[],
        };
        static NO_DESCRIPTION: Skill = Skill {
            skill_md: "---\nname: a\n---\n",
            files: &[],
        };
        static ESCAPES: Skill = Skill {
            skill_md: "---\nname: a\ndescription: d\n---\n",
            files: &[SkillFile::text("../x", "text/plain", "")],
        };
        for (skill, expected) in [
            (&BAD_NAME, "skill name"),
            (&NO_DESCRIPTION, "'description'"),
            (&ESCAPES, "relative path inside the skill"),
        ] {
            let err = load(skill).unwrap_err();
            assert!(err.contains(expected), "{err}");
        }
        static TWICE: Skills = Skills::new(&[&PDF, &PDF]);
        assert!(TWICE.check().unwrap_err().contains("two skills"));
    }
}
