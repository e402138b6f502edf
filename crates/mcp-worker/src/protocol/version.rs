//! The protocol revisions this server speaks, and which era each belongs to.

use std::fmt;

/// A protocol revision we implement. Ordered oldest to newest, so `>=` reads as "at least".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// 2024-11-05, the first revision.
    V2024_11_05,
    /// 2025-03-26: Streamable HTTP, batches, tool annotations.
    V2025_03_26,
    /// 2025-06-18: structured output, elicitation, resource links; no batches.
    V2025_06_18,
    /// 2025-11-25: icons, URL elicitation, the newest with the `initialize` handshake.
    V2025_11_25,
    /// 2026-07-28: stateless, every request carries its revision in `_meta`.
    V2026_07_28,
}

/// How a request is served: after an `initialize` handshake (legacy) or with
/// per-request `_meta` (modern, 2026-07-28 basic/versioning "Terminology").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Era {
    /// After an `initialize` handshake: 2024-11-05 to 2025-11-25.
    Legacy,
    /// Every request on its own: 2026-07-28.
    Modern,
}

impl Version {
    /// Every supported revision, newest first: the order of `supportedVersions`.
    pub const ALL: [Version; 5] = [
        Version::V2026_07_28,
        Version::V2025_11_25,
        Version::V2025_06_18,
        Version::V2025_03_26,
        Version::V2024_11_05,
    ];

    /// The newest revision that uses the `initialize` handshake; the answer to an
    /// `initialize` that asks for a version we do not speak.
    pub const LATEST_LEGACY: Version = Version::V2025_11_25;

    /// What a request without `MCP-Protocol-Version` is taken to speak
    /// (2025-06-18 and later, basic/transports "Protocol Version Header").
    pub const HEADERLESS_DEFAULT: Version = Version::V2025_03_26;

    /// The revision a date string names, if we speak it.
    pub fn parse(s: &str) -> Option<Version> {
        Version::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The revision's date, as the protocol writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2024_11_05 => "2024-11-05",
            Version::V2025_03_26 => "2025-03-26",
            Version::V2025_06_18 => "2025-06-18",
            Version::V2025_11_25 => "2025-11-25",
            Version::V2026_07_28 => "2026-07-28",
        }
    }

    /// Whether the revision is served after a handshake or request by request.
    pub fn era(self) -> Era {
        if self >= Version::V2026_07_28 {
            Era::Modern
        } else {
            Era::Legacy
        }
    }

    /// `outputSchema`, `structuredContent` and `title` arrived in 2025-06-18.
    pub fn has_structured_output(self) -> bool {
        self >= Version::V2025_06_18
    }

    /// Tool `annotations` arrived in 2025-03-26.
    pub fn has_tool_annotations(self) -> bool {
        self >= Version::V2025_03_26
    }

    /// JSON-RPC batches exist only in 2025-03-26 (added there, removed in 2025-06-18).
    pub fn allows_batches(self) -> bool {
        self == Version::V2025_03_26
    }

    /// Every supported revision's date, newest first.
    pub fn supported_list() -> Vec<&'static str> {
        Version::ALL.iter().map(|v| v.as_str()).collect()
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_supported_revision_and_nothing_else() {
        for v in Version::ALL {
            assert_eq!(Version::parse(v.as_str()), Some(v));
        }
        assert_eq!(Version::parse("2025-11-26"), None);
        assert_eq!(Version::parse(""), None);
        assert_eq!(Version::parse(" 2025-11-25"), None);
    }

    #[test]
    fn only_2026_07_28_is_modern() {
        assert_eq!(Version::V2026_07_28.era(), Era::Modern);
        assert_eq!(Version::V2025_11_25.era(), Era::Legacy);
        assert_eq!(Version::V2024_11_05.era(), Era::Legacy);
    }

    #[test]
    fn batches_only_in_2025_03_26() {
        let allowed: Vec<_> = Version::ALL
            .into_iter()
            .filter(|v| v.allows_batches())
            .collect();
        assert_eq!(allowed, vec![Version::V2025_03_26]);
    }
}
