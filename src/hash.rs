//! MD5 for `Content-MD5` and ETag checks, in the encoding each service expects.

use crate::provider::Md5Encoding;
use base64ct::{Base64, Encoding};
use md5::{Digest, Md5};

/// The MD5 digest of `data`.
pub fn md5(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

/// Bytes as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    base16ct::lower::encode_string(bytes)
}

/// The 16 bytes of an MD5 written as 32 hex digits (either case).
pub fn md5_from_hex(text: &str) -> Option<[u8; 16]> {
    let mut digest = [0u8; 16];
    let decoded = base16ct::mixed::decode(text, &mut digest).ok()?.len();
    (decoded == 16).then_some(digest)
}

/// A digest written as the service wants it in `Content-MD5`.
pub fn encode_md5(digest: &[u8; 16], encoding: Md5Encoding) -> String {
    match encoding {
        Md5Encoding::Base64 => Base64::encode_string(digest),
        Md5Encoding::Hex => hex(digest),
    }
}

/// Whether two ETags are the same, ignoring surrounding quotes, spaces and hex case.
pub fn etags_equal(a: &str, b: &str) -> bool {
    a.trim_ascii().trim_matches('"').eq_ignore_ascii_case(b.trim_ascii().trim_matches('"'))
}

/// Whether an ETag (quoted or not, any case) is the hex MD5 `digest`.
pub fn etag_matches_md5(etag: &str, digest: &[u8; 16]) -> bool {
    etags_equal(etag, &hex(digest))
}

/// The ETag S3 gives an object completed from parts with these MD5 digests, in part order:
/// `"<hex MD5 of the concatenated digests>-<number of parts>"`, quoted as S3 returns it.
pub fn multipart_etag(part_md5s: &[[u8; 16]]) -> String {
    let digest = md5(&part_md5s.concat());
    format!("\"{}-{}\"", hex(&digest), part_md5s.len())
}

/// Whether a Complete answer's ETag (quoted or not, any case) is [`multipart_etag`] of the parts.
pub fn etag_matches_parts(etag: &str, part_md5s: &[[u8; 16]]) -> bool {
    etags_equal(etag, &multipart_etag(part_md5s))
}

/// Whether an ETag has the form of [`multipart_etag`] for `parts` parts: 32 hex digits, `-`, the
/// number of parts. Stores that form it otherwise are not checked against the parts' MD5s.
pub fn is_multipart_etag(etag: &str, parts: usize) -> bool {
    let etag = etag.trim_ascii().trim_matches('"');
    etag.split_once('-').is_some_and(|(digest, count)| {
        digest.len() == 32 && digest.bytes().all(|b| b.is_ascii_hexdigit()) && count.parse() == Ok(parts)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        let d = md5(b"");
        assert_eq!(encode_md5(&d, Md5Encoding::Base64), "1B2M2Y8AsgTpgAmY7PhCfg==");
        assert_eq!(encode_md5(&d, Md5Encoding::Hex), "d41d8cd98f00b204e9800998ecf8427e");
        assert!(etag_matches_md5("\"D41D8CD98F00B204E9800998ECF8427E\"", &d));
        assert!(!etag_matches_md5("\"d41d8cd98f00b204e9800998ecf8427e-2\"", &d));
    }

    #[test]
    fn multipart_etag_of_two_parts() {
        let parts = [md5(b"hello "), md5(b"world")];
        assert_eq!(hex::encode(parts[0]), "f814893777bcc2295fff05f00e508da6");
        assert_eq!(hex::encode(parts[1]), "7d793037a0760186574b0282f2f435e7");
        // By hand: the MD5 of the 32 bytes of both digests, then the number of parts.
        let mut joined = parts[0].to_vec();
        joined.extend_from_slice(&parts[1]);
        assert_eq!(format!("\"{}-2\"", hex::encode(md5(&joined))), "\"e09e4fd6265b36115fe3db32df945d84-2\"");
        assert_eq!(multipart_etag(&parts), "\"e09e4fd6265b36115fe3db32df945d84-2\"");
        assert!(etag_matches_parts("E09E4FD6265B36115FE3DB32DF945D84-2", &parts));
        assert!(!etag_matches_parts("\"e09e4fd6265b36115fe3db32df945d84-3\"", &parts));
        assert!(!etag_matches_parts("\"e09e4fd6265b36115fe3db32df945d84-2\"", &[parts[1], parts[0]]));
        assert!(is_multipart_etag("\"E09E4FD6265B36115FE3DB32DF945D84-2\"", 2));
        assert!(!is_multipart_etag("\"e09e4fd6265b36115fe3db32df945d84-2\"", 3));
        assert!(!is_multipart_etag("\"e09e4fd6265b36115fe3db32df945d84\"", 1));
        assert!(!is_multipart_etag("ABwcsNIEIx/3TXD+37wkhu1YIh8AgUg/++I5bsBm9MiQotlGsT-2", 2));
    }

    #[test]
    fn hex_as_the_hex_crate_writes_and_reads_it() {
        let d = md5(b"partwise");
        assert_eq!(hex(&d), hex::encode(d));
        assert_eq!(md5_from_hex(&hex::encode(d)), Some(d));
        assert_eq!(md5_from_hex(&hex::encode_upper(d)), Some(d));
        let text = hex::encode(d);
        for bad in [&text[..30], &text[..31], &format!("{text}00"), &text.replacen('d', "g", 1), ""] {
            assert_eq!(md5_from_hex(bad), None, "{bad}");
        }
    }
}
