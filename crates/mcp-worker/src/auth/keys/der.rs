//! Reads an RSA public key's modulus and exponent out of PEM text: SPKI (`PUBLIC KEY`,
//! RFC 5280 section 4.1) or PKCS#1 (`RSA PUBLIC KEY`, RFC 8017 appendix A.1.1), in DER.
//!
//! The worker only needs `n` and `e` (WebCrypto imports them as a JWK), so this short reader
//! replaces the `rsa`, `der`, `pem-rfc7468` and `spki` crates there: about 30 KB of
//! unoptimised wasm. It reads configuration and fetched key sets, so every length is
//! bounded and checked, nothing panics, and it is as strict as those crates were: DER's
//! canonical lengths and integers, nothing after a structure, `rsaEncryption` with NULL
//! parameters.

use base64ct::{Base64, Encoding};
use std::fmt;

/// The longest DER accepted. A 4096-bit key's SPKI is 550 bytes; the length forms read
/// below (at most two length octets) could not describe more than 64 KiB anyway.
pub const MAX_DER_BYTES: usize = 4096;
/// The longest PEM body (between the BEGIN and END lines) accepted, whitespace included.
pub const MAX_PEM_CHARS: usize = 8192;

/// `rsaEncryption` (1.2.840.113549.1.1.1), the content octets of its OBJECT IDENTIFIER.
const RSA_ENCRYPTION: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const NULL: u8 = 0x05;
const OBJECT_IDENTIFIER: u8 = 0x06;

/// Why the DER is not an RSA public key. Names the structure, never echoes the bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DerError {
    /// The input ends inside a structure.
    Truncated,
    /// Another tag where this was expected.
    Expected(&'static str),
    /// An indefinite, non-minimal or over-long length.
    Length,
    /// Bytes after a complete structure.
    Trailing,
    /// An INTEGER that is empty, negative or has a needless leading zero.
    Integer,
    /// An algorithm other than rsaEncryption (an EC key, an RSASSA-PSS-only key...).
    NotRsa,
    /// rsaEncryption's parameters are not NULL.
    Parameters,
    /// The BIT STRING holding the key has unused bits.
    UnusedBits,
    /// More than [`MAX_DER_BYTES`].
    TooLong,
}

impl fmt::Display for DerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DerError::Truncated => f.write_str("the DER ends inside a structure (truncated)"),
            DerError::Expected(what) => write!(f, "expected {what}"),
            DerError::Length => f.write_str("a DER length is indefinite, not minimal or too long"),
            DerError::Trailing => f.write_str("bytes follow a complete DER structure"),
            DerError::Integer => {
                f.write_str("an INTEGER is empty, negative or not minimally encoded")
            }
            DerError::NotRsa => f.write_str(
                "the key's algorithm is not rsaEncryption (1.2.840.113549.1.1.1); use an RSA public key",
            ),
            DerError::Parameters => f.write_str("rsaEncryption's parameters must be NULL"),
            DerError::UnusedBits => f.write_str("the key's BIT STRING has unused bits"),
            DerError::TooLong => write!(f, "the key is longer than {MAX_DER_BYTES} bytes"),
        }
    }
}

/// A modulus and a public exponent, big-endian, without leading zeros.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RsaParts<'a> {
    pub n: &'a [u8],
    pub e: &'a [u8],
}

/// Reads DER tag-length-value items off the front of a slice.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    /// The content of the next item, which must carry `tag`.
    fn item(&mut self, tag: u8, what: &'static str) -> Result<&'a [u8], DerError> {
        let [first, rest @ ..] = self.0 else {
            return Err(DerError::Truncated);
        };
        if *first != tag {
            return Err(DerError::Expected(what));
        }
        let (len, rest) = match rest {
            [] => return Err(DerError::Truncated),
            [short, rest @ ..] if *short < 0x80 => (usize::from(*short), rest),
            [0x81, len, rest @ ..] if *len >= 0x80 => (usize::from(*len), rest),
            [0x82, hi, lo, rest @ ..] if *hi != 0 => {
                (usize::from(*hi) << 8 | usize::from(*lo), rest)
            }
            // Long forms cut short are truncation; a long form that would fit a shorter one
            // is not DER, and 0x80 (indefinite) and three or more length octets never
            // describe a key this reader accepts.
            [0x81] | [0x82] | [0x82, _] => return Err(DerError::Truncated),
            _ => return Err(DerError::Length),
        };
        if len > rest.len() {
            return Err(DerError::Truncated);
        }
        let (content, after) = rest.split_at(len);
        self.0 = after;
        Ok(content)
    }

    fn finish(&self) -> Result<(), DerError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DerError::Trailing)
        }
    }
}

/// The one item `der` holds, which must carry `tag`, with nothing after it.
fn only<'a>(der: &'a [u8], tag: u8, what: &'static str) -> Result<&'a [u8], DerError> {
    if der.len() > MAX_DER_BYTES {
        return Err(DerError::TooLong);
    }
    let mut r = Reader(der);
    let content = r.item(tag, what)?;
    r.finish()?;
    Ok(content)
}

/// A DER INTEGER's content as an unsigned big-endian number without leading zeros.
fn unsigned(content: &[u8]) -> Result<&[u8], DerError> {
    match content {
        [] => Err(DerError::Integer),
        [0] => Ok(&[]),
        [0, next, ..] if *next < 0x80 => Err(DerError::Integer),
        [0, rest @ ..] => Ok(rest),
        [first, ..] if *first >= 0x80 => Err(DerError::Integer),
        _ => Ok(content),
    }
}

/// `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` (PKCS#1).
pub fn pkcs1(der: &[u8]) -> Result<RsaParts<'_>, DerError> {
    let mut r = Reader(only(der, SEQUENCE, "a SEQUENCE (RSAPublicKey)")?);
    let n = unsigned(r.item(INTEGER, "an INTEGER (the modulus)")?)?;
    let e = unsigned(r.item(INTEGER, "an INTEGER (the public exponent)")?)?;
    r.finish()?;
    Ok(RsaParts { n, e })
}

/// `SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey
/// BIT STRING }`, the algorithm rsaEncryption with NULL parameters (RFC 3279 section
/// 2.3.1) and the BIT STRING a PKCS#1 key.
pub fn spki(der: &[u8]) -> Result<RsaParts<'_>, DerError> {
    let mut r = Reader(only(der, SEQUENCE, "a SEQUENCE (SubjectPublicKeyInfo)")?);
    let mut algorithm = Reader(r.item(SEQUENCE, "a SEQUENCE (AlgorithmIdentifier)")?);
    let key = r.item(BIT_STRING, "a BIT STRING (the public key)")?;
    r.finish()?;
    if algorithm.item(OBJECT_IDENTIFIER, "an OBJECT IDENTIFIER (the algorithm)")? != RSA_ENCRYPTION
    {
        return Err(DerError::NotRsa);
    }
    match algorithm.0 {
        [] => return Err(DerError::Parameters),
        [NULL, ..] => {
            if !algorithm.item(NULL, "NULL")?.is_empty() {
                return Err(DerError::Parameters);
            }
        }
        _ => return Err(DerError::Parameters),
    }
    algorithm.finish()?;
    match key {
        [0, pkcs1_key @ ..] => pkcs1(pkcs1_key),
        [] => Err(DerError::Truncated),
        _ => Err(DerError::UnusedBits),
    }
}

/// The bytes of a PEM body (the text between its BEGIN and END lines): standard, padded
/// Base64, any ASCII whitespace ignored.
pub fn pem_body(body: &str) -> Result<Vec<u8>, String> {
    if body.len() > MAX_PEM_CHARS {
        return Err(format!(
            "its body is longer than {MAX_PEM_CHARS} characters; no RSA public key this server accepts is"
        ));
    }
    let base64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    Base64::decode_vec(&base64).map_err(|_| "its body is not Base64".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DER item with a minimal length.
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        match content.len() {
            n @ 0..=0x7f => out.push(n as u8),
            n @ 0x80..=0xff => out.extend([0x81, n as u8]),
            n => out.extend([0x82, (n >> 8) as u8, n as u8]),
        }
        out.extend_from_slice(content);
        out
    }

    fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    /// A 2048-bit-sized modulus (top bit set, odd): its INTEGER needs a leading zero.
    fn modulus() -> Vec<u8> {
        let mut n = vec![0xc5; 256];
        n[255] = 0x01;
        n
    }

    fn pkcs1_of(n: &[u8], e: &[u8]) -> Vec<u8> {
        let mut n_int = vec![0];
        n_int.extend_from_slice(n);
        tlv(SEQUENCE, &cat(&[&tlv(INTEGER, &n_int), &tlv(INTEGER, e)]))
    }

    fn rsa_algorithm() -> Vec<u8> {
        tlv(
            SEQUENCE,
            &cat(&[&tlv(OBJECT_IDENTIFIER, &RSA_ENCRYPTION), &tlv(NULL, &[])]),
        )
    }

    fn spki_of(algorithm: &[u8], key: &[u8]) -> Vec<u8> {
        let mut bits = vec![0];
        bits.extend_from_slice(key);
        tlv(SEQUENCE, &cat(&[algorithm, &tlv(BIT_STRING, &bits)]))
    }

    #[test]
    fn well_formed_keys_give_their_modulus_and_exponent() {
        let n = modulus();
        let key = pkcs1_of(&n, &[1, 0, 1]);
        let want = RsaParts {
            n: &n,
            e: &[1, 0, 1],
        };
        assert_eq!(pkcs1(&key), Ok(want));
        assert_eq!(spki(&spki_of(&rsa_algorithm(), &key)), Ok(want));
    }

    #[test]
    fn every_prefix_of_a_key_is_truncated() {
        let key = spki_of(&rsa_algorithm(), &pkcs1_of(&modulus(), &[1, 0, 1]));
        for cut in 0..key.len() {
            assert_eq!(spki(&key[..cut]), Err(DerError::Truncated), "cut at {cut}");
        }
        let key = pkcs1_of(&modulus(), &[1, 0, 1]);
        for cut in 0..key.len() {
            assert_eq!(pkcs1(&key[..cut]), Err(DerError::Truncated), "cut at {cut}");
        }
    }

    #[test]
    fn wrong_tags_are_named() {
        let pkcs1_key = pkcs1_of(&modulus(), &[3]);
        let spki_key = spki_of(&rsa_algorithm(), &pkcs1_key);
        // An SPKI is not a PKCS#1 key and the other way round.
        assert_eq!(
            pkcs1(&spki_key),
            Err(DerError::Expected("an INTEGER (the modulus)"))
        );
        assert_eq!(
            spki(&pkcs1_key),
            Err(DerError::Expected("a SEQUENCE (AlgorithmIdentifier)"))
        );
        let mut set = pkcs1_key.clone();
        set[0] = 0x31;
        assert_eq!(
            pkcs1(&set),
            Err(DerError::Expected("a SEQUENCE (RSAPublicKey)"))
        );
        let octets = spki_key
            .iter()
            .position(|b| *b == BIT_STRING)
            .map(|i| {
                let mut k = spki_key.clone();
                k[i] = 0x04;
                k
            })
            .unwrap();
        assert_eq!(
            spki(&octets),
            Err(DerError::Expected("a BIT STRING (the public key)"))
        );
    }

    #[test]
    fn lengths_must_be_minimal_definite_and_short() {
        // The same one-byte INTEGER with its length in long forms: not DER.
        for int in [
            &[0x02, 0x81, 0x01, 0x03][..],
            &[0x02, 0x82, 0x00, 0x01, 0x03],
        ] {
            let key = tlv(SEQUENCE, &cat(&[&tlv(INTEGER, &[5]), int]));
            assert_eq!(pkcs1(&key), Err(DerError::Length));
        }
        // Indefinite length, and lengths of three, four and eight octets.
        for head in [
            &[0x30, 0x80][..],
            &[0x30, 0x83, 0x01, 0x00, 0x00],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x30, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        ] {
            let mut key = head.to_vec();
            key.extend([0; 16]);
            assert_eq!(pkcs1(&key), Err(DerError::Length), "{head:02x?}");
        }
    }

    #[test]
    fn huge_lengths_are_truncation_not_allocation() {
        assert_eq!(pkcs1(&[0x30, 0x82, 0xff, 0xff]), Err(DerError::Truncated));
        assert_eq!(pkcs1(&[0x30, 0x81, 0xff, 0x02]), Err(DerError::Truncated));
        assert_eq!(
            pkcs1(&vec![0x30; MAX_DER_BYTES + 1]),
            Err(DerError::TooLong)
        );
        assert_eq!(spki(&vec![0; MAX_DER_BYTES + 1]), Err(DerError::TooLong));
    }

    #[test]
    fn nothing_may_follow_a_structure() {
        let key = pkcs1_of(&modulus(), &[3]);
        assert_eq!(pkcs1(&cat(&[&key, &[0]])), Err(DerError::Trailing));
        // A third INTEGER inside the sequence.
        let mut n_int = vec![0];
        n_int.extend_from_slice(&modulus());
        let three = tlv(
            SEQUENCE,
            &cat(&[
                &tlv(INTEGER, &n_int),
                &tlv(INTEGER, &[3]),
                &tlv(INTEGER, &[3]),
            ]),
        );
        assert_eq!(pkcs1(&three), Err(DerError::Trailing));
        let spki_key = spki_of(&rsa_algorithm(), &key);
        assert_eq!(spki(&cat(&[&spki_key, &[0, 0]])), Err(DerError::Trailing));
        // Bytes after the PKCS#1 key inside the BIT STRING.
        let padded = spki_of(&rsa_algorithm(), &cat(&[&key, &[0]]));
        assert_eq!(spki(&padded), Err(DerError::Trailing));
        // After the NULL parameters.
        let algorithm = tlv(
            SEQUENCE,
            &cat(&[
                &tlv(OBJECT_IDENTIFIER, &RSA_ENCRYPTION),
                &tlv(NULL, &[]),
                &tlv(NULL, &[]),
            ]),
        );
        assert_eq!(spki(&spki_of(&algorithm, &key)), Err(DerError::Trailing));
    }

    #[test]
    fn integers_must_be_canonical_and_positive() {
        let with = |e: &[u8]| tlv(SEQUENCE, &cat(&[&tlv(INTEGER, &[5]), &tlv(INTEGER, e)]));
        assert_eq!(pkcs1(&with(&[])), Err(DerError::Integer), "empty");
        assert_eq!(pkcs1(&with(&[0x80])), Err(DerError::Integer), "negative");
        assert_eq!(pkcs1(&with(&[0, 3])), Err(DerError::Integer), "padded");
        assert_eq!(pkcs1(&with(&[0, 0x80])).unwrap().e, &[0x80]);
        assert_eq!(pkcs1(&with(&[0])).unwrap().e, &[] as &[u8], "zero");
    }

    #[test]
    fn only_rsa_encryption_with_null_parameters() {
        let key = pkcs1_of(&modulus(), &[3]);
        // RSASSA-PSS (1.2.840.113549.1.1.10) and id-ecPublicKey (1.2.840.10045.2.1).
        let pss = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
        let ec = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
        for oid in [&pss[..], &ec] {
            let algorithm = tlv(
                SEQUENCE,
                &cat(&[&tlv(OBJECT_IDENTIFIER, oid), &tlv(NULL, &[])]),
            );
            assert_eq!(spki(&spki_of(&algorithm, &key)), Err(DerError::NotRsa));
        }
        let oid = tlv(OBJECT_IDENTIFIER, &RSA_ENCRYPTION);
        for params in [vec![], tlv(NULL, &[0]), tlv(SEQUENCE, &[])] {
            let algorithm = tlv(SEQUENCE, &cat(&[&oid, &params]));
            assert_eq!(
                spki(&spki_of(&algorithm, &key)),
                Err(DerError::Parameters),
                "{params:02x?}"
            );
        }
        let mut bits = vec![1];
        bits.extend_from_slice(&key);
        let unused = tlv(SEQUENCE, &cat(&[&rsa_algorithm(), &tlv(BIT_STRING, &bits)]));
        assert_eq!(spki(&unused), Err(DerError::UnusedBits));
        let empty = tlv(SEQUENCE, &cat(&[&rsa_algorithm(), &tlv(BIT_STRING, &[])]));
        assert_eq!(spki(&empty), Err(DerError::Truncated));
    }

    #[test]
    fn pem_bodies_are_bounded_base64() {
        assert_eq!(pem_body("AQAB\r\n AQ==\n").unwrap(), [1, 0, 1, 1]);
        assert!(pem_body("AQ=").is_err());
        assert!(pem_body("Proc-Type: 4,ENCRYPTED\nAQAB").is_err());
        assert!(pem_body("AQ-_").is_err(), "base64url is not PEM's alphabet");
        assert!(pem_body(&"A".repeat(MAX_PEM_CHARS + 4)).is_err());
    }
}
