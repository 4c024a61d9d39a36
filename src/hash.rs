//! MD5 for `Content-MD5` and ETag checks, in the encoding each service expects.

use crate::provider::Md5Encoding;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use md5::{Digest, Md5};

/// The MD5 digest of `data`.
pub fn md5(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

/// A digest written as the service wants it in `Content-MD5`.
pub fn encode_md5(digest: &[u8; 16], encoding: Md5Encoding) -> String {
    match encoding {
        Md5Encoding::Base64 => BASE64.encode(digest),
        Md5Encoding::Hex => hex::encode(digest),
    }
}

/// Whether two ETags are the same, ignoring surrounding quotes, spaces and hex case.
pub fn etags_equal(a: &str, b: &str) -> bool {
    a.trim().trim_matches('"').eq_ignore_ascii_case(b.trim().trim_matches('"'))
}

/// Whether an ETag (quoted or not, any case) is the hex MD5 `digest`.
pub fn etag_matches_md5(etag: &str, digest: &[u8; 16]) -> bool {
    etags_equal(etag, &hex::encode(digest))
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
}
