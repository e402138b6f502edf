// tests/conformance/src/skills.rs: the skills the fixture worker publishes (docs/skills.md shows this file).
//! A skill is its SKILL.md and the other files of its folder, each included at build time;
//! the `sep-2640-skills-*` scenarios of the conformance suite list, read and walk them.

use mcp_worker::skills::{Skill, SkillFile, Skills};

pub static PDF_PROCESSING: Skill = Skill {
    skill_md: include_str!("skills/pdf-processing/SKILL.md"),
    files: &[SkillFile::text(
        "references/FORMS.md",
        "text/markdown",
        include_str!("skills/pdf-processing/references/FORMS.md"),
    )],
};

/// Every skill of the server, in the order `skills/list` gives them.
pub static SKILLS: Skills = Skills::new(&[&PDF_PROCESSING]);
