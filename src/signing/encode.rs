//! Percent-encoding (uppercase `%XX` of each UTF-8 byte) as the signers and request URLs want it,
//! and the decoding of answers' encoded values: a few lines here instead of a crate's tables.

/// RFC 3986 unreserved characters besides letters and digits; everything else (including `/`) is `%XX`.
const UNRESERVED: &[u8] = b"-._~";
/// As [`UNRESERVED`], but `/` stays: object keys in paths.
const PATH: &[u8] = b"-._~/";
/// Java `URLEncoder` with `+` written `%20`: the NOS resource key (`/` is encoded).
const NOS_KEY: &[u8] = b".-*_";
/// RFC 8187 `attr-char` besides letters and digits: the `filename*` value of `Content-Disposition` (RFC 6266).
const ATTR_CHAR: &[u8] = b"!#$&+-.^_`|~";

/// `text` with every byte but ASCII letters, digits and those of `keep` written `%XX`.
fn encode(text: &str, keep: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || keep.contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
    }
    out
}

/// Encodes a query key or value (SigV4 `UriEncode`).
pub(crate) fn uri_encode(text: &str) -> String {
    encode(text, UNRESERVED)
}

/// Encodes an object key for a path, keeping `/`.
pub(crate) fn path_encode(text: &str) -> String {
    encode(text, PATH)
}

/// Encodes an object key the way NOS signs it.
pub(crate) fn nos_key_encode(text: &str) -> String {
    encode(text, NOS_KEY)
}

/// Encodes an RFC 8187 `value-chars` (the part after `UTF-8''`).
pub(crate) fn ext_value_encode(text: &str) -> String {
    encode(text, ATTR_CHAR)
}

/// `text` with each `%XX` (either case) decoded; a `%` without two hex digits stays, and bytes
/// that are not UTF-8 become U+FFFD.
pub(crate) fn percent_decode(text: &str) -> String {
    let hex = |digit: Option<&u8>| digit.and_then(|d| char::from(*d).to_digit(16));
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        if byte == b'%'
            && let (Some(high), Some(low)) = (hex(bytes.get(at + 1)), hex(bytes.get(at + 2)))
        {
            // Two hex digits make at most 0xff.
            out.push(u8::try_from(high << 4 | low).unwrap_or(byte));
            at += 3;
        } else {
            out.push(byte);
            at += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

    #[test]
    fn sets() {
        assert_eq!(uri_encode("a b/c~+=ሴ"), "a%20b%2Fc~%2B%3D%E1%88%B4");
        assert_eq!(path_encode("a b/c~$"), "a%20b/c~%24");
        assert_eq!(nos_key_encode("a b/c~*"), "a%20b%2Fc%7E*");
        assert_eq!(ext_value_encode("€ rates.txt"), "%E2%82%AC%20rates.txt");
    }

    /// Every ASCII character and some beyond, alone and together.
    fn samples() -> Vec<String> {
        let mut samples: Vec<String> = (0..=0x7f_u8).map(|b| char::from(b).to_string()).collect();
        samples.extend(["é", "ሴ", "😀", "\u{7ff}", "\u{800}", "\u{ffff}", "a/b c?d=e&f+g%h"].map(str::to_owned));
        samples.push(samples.concat());
        samples
    }

    #[test]
    fn encodes_as_the_percent_encoding_crate_did() {
        // The sets this module used to hand percent_encoding.
        const THEIR_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
        const THEIR_PATH: &AsciiSet = &THEIR_UNRESERVED.remove(b'/');
        const THEIR_NOS_KEY: &AsciiSet = &NON_ALPHANUMERIC.remove(b'.').remove(b'-').remove(b'*').remove(b'_');
        const THEIR_ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
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
        for text in samples() {
            for (ours, theirs) in [
                (uri_encode(&text), THEIR_UNRESERVED),
                (path_encode(&text), THEIR_PATH),
                (nos_key_encode(&text), THEIR_NOS_KEY),
                (ext_value_encode(&text), THEIR_ATTR_CHAR),
            ] {
                assert_eq!(ours, utf8_percent_encode(&text, theirs).to_string(), "{text:?}");
            }
        }
    }

    #[test]
    fn decodes_as_the_percent_encoding_crate_did() {
        let mut texts = samples();
        texts.extend(
            ["%", "%4", "%4g", "%%41", "%41%", "a%2fb%2F", "%E2%82%AC", "%E2%82", "%ff%FE", "%C3%A9%"]
                .map(str::to_owned),
        );
        texts.extend(samples().iter().map(|t| uri_encode(t)));
        for text in texts {
            let theirs = percent_encoding::percent_decode_str(&text).decode_utf8_lossy().into_owned();
            assert_eq!(percent_decode(&text), theirs, "{text:?}");
        }
    }
}
