//! Percent-encoding sets used by the signers and by request URLs.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// RFC 3986 unreserved characters stay; everything else (including `/`) is `%XX`.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
/// As [`UNRESERVED`], but `/` stays: object keys in paths.
const PATH: &AsciiSet = &UNRESERVED.remove(b'/');
/// Java `URLEncoder` with `+` written `%20`: the NOS resource key (`/` is encoded).
const NOS_KEY: &AsciiSet = &NON_ALPHANUMERIC.remove(b'.').remove(b'-').remove(b'*').remove(b'_');

/// RFC 8187 `attr-char` stays: the `filename*` value of `Content-Disposition` (RFC 6266).
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// Encodes a query key or value (SigV4 `UriEncode`).
pub(crate) fn uri_encode(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// Encodes an object key for a path, keeping `/`.
pub(crate) fn path_encode(text: &str) -> String {
    utf8_percent_encode(text, PATH).to_string()
}

/// Encodes an object key the way NOS signs it.
pub(crate) fn nos_key_encode(text: &str) -> String {
    utf8_percent_encode(text, NOS_KEY).to_string()
}

/// Encodes an RFC 8187 `value-chars` (the part after `UTF-8''`).
pub(crate) fn ext_value_encode(text: &str) -> String {
    utf8_percent_encode(text, ATTR_CHAR).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets() {
        assert_eq!(uri_encode("a b/c~+=ሴ"), "a%20b%2Fc~%2B%3D%E1%88%B4");
        assert_eq!(path_encode("a b/c~$"), "a%20b/c~%24");
        assert_eq!(nos_key_encode("a b/c~*"), "a%20b%2Fc%7E*");
    }
}
