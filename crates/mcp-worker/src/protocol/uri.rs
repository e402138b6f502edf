//! The characters a URI is written with (RFC 3986 §2), for every reader of a URI a client
//! or an author sends: resource templates, redirect URIs, client metadata URLs, the
//! endpoint's path.

/// Unreserved (§2.3), reserved (§2.2: gen-delims and sub-delims), and `%`, which starts an
/// escape.
pub const fn is_uri_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'%'
                | b':'
                | b'/'
                | b'?'
                | b'#'
                | b'['
                | b']'
                | b'@'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
        )
}

/// Whether every `%` in `b` starts an escape of two hex digits (§2.1).
pub const fn escapes_are_whole(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && (i + 2 >= b.len() || !b[i + 1].is_ascii_hexdigit() || !b[i + 2].is_ascii_hexdigit())
        {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_characters_and_whole_escapes() {
        for b in b"aZ09-._~%:/?#[]@!$&'()*+,;=" {
            assert!(is_uri_char(*b), "{}", *b as char);
        }
        for b in b" \"<>\\^`{|}\x7f\x00" {
            assert!(!is_uri_char(*b), "{}", *b as char);
        }
        assert!(!is_uri_char(0xc3));
        assert!(escapes_are_whole(b"a%20b%7E"));
        assert!(escapes_are_whole(b"plain"));
        for bad in [&b"%"[..], b"%2", b"a%zz", b"%+f", b"x%2"] {
            assert!(!escapes_are_whole(bad), "{bad:?}");
        }
    }
}
