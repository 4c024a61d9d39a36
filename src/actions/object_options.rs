//! What an object is created with: the typed options of `upload(file, {key, …})`, written as the
//! headers of CreateMultipartUpload and PutObject in each service's names and encodings.

use super::encryption::{EncryptedRequest, Encryption};
use super::{checked_name, checked_value};
use crate::error::{Error, Result};
use crate::provider::{MetadataEncoding, Profile};
use crate::signing::encode::{ext_value_encode, uri_encode};
use base64ct::{Base64, Encoding};

/// Whether a browser shows the object or saves it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DispositionType {
    /// Saved as a file (`attachment`).
    #[default]
    Attachment,
    /// Shown in the browser (`inline`).
    Inline,
}

/// `Content-Disposition` of the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContentDisposition {
    /// The header value as given (ASCII).
    Value(String),
    /// A file name, any Unicode: written per RFC 6266 with an ASCII fallback.
    File {
        /// `attachment` or `inline`.
        kind: DispositionType,
        /// The name the browser saves the object under.
        filename: String,
    },
}

/// The typed options an object is created with, and further raw headers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectOptions {
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<ContentDisposition>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// `Expires`, an HTTP date.
    pub expires: Option<String>,
    /// The service's storage class (`STANDARD`, `IA`, …), in its own header.
    pub storage_class: Option<String>,
    /// The service's canned ACL (`private`, `public-read`, …), in its own header.
    pub acl: Option<String>,
    /// Object tags, sent URL-encoded as `k=v&k2=v2`.
    pub tagging: Vec<(String, String)>,
    /// User metadata, sent as `<prefix>meta-<name>` headers; non-ASCII values are encoded the
    /// service's way ([`MetadataEncoding`]).
    pub metadata: Vec<(String, String)>,
    /// Further headers recorded on the object.
    pub headers: Vec<(String, String)>,
    /// Server-side encryption; its headers go on more requests than these
    /// ([`Encryption::headers`]).
    pub encryption: Option<Encryption>,
}

impl ObjectOptions {
    /// The headers these options add for `profile`'s service, validated.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the option: a value a header cannot carry, an empty file
    /// name or tag key, or an option the service does not have.
    pub fn headers(&self, profile: &Profile) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        let mut push = |name: &str, value: String| out.push((name.to_owned(), value));
        let names = profile.object_headers;
        if let Some(ct) = &self.content_type {
            push("content-type", checked_value("contentType", ct)?);
        }
        if let Some(cd) = &self.content_disposition {
            push("content-disposition", content_disposition(cd)?);
        }
        for (field, header, value) in [
            ("cacheControl", "cache-control", &self.cache_control),
            ("contentEncoding", "content-encoding", &self.content_encoding),
            ("expires", "expires", &self.expires),
        ] {
            if let Some(value) = value {
                push(header, checked_value(field, value)?);
            }
        }
        let service = profile.provider.name();
        for (field, header, value) in
            [("storageClass", names.storage_class, &self.storage_class), ("acl", names.acl, &self.acl)]
        {
            if let Some(value) = value {
                let header = header.ok_or_else(|| Error::invalid(field, format!("is not supported by {service}")))?;
                push(header, checked_value(field, value)?);
            }
        }
        if !self.tagging.is_empty() {
            let header =
                names.tagging.ok_or_else(|| Error::invalid("tagging", format!("is not supported by {service}")))?;
            push(header, tagging(&self.tagging)?);
        }
        let prefix = profile.metadata_prefix();
        for (name, value) in &self.metadata {
            let name = checked_name("metadata", name)?;
            push(&format!("{prefix}{name}"), metadata_value(value, names.metadata_encoding));
        }
        for (name, value) in &self.headers {
            push(&checked_name("headers", name)?, checked_value("headers", value)?);
        }
        out.extend(self.encryption_headers(profile, EncryptedRequest::Create)?);
        Ok(out)
    }

    /// The encryption headers `request` carries (none without encryption).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a mode the service lacks or a value a header cannot carry.
    pub fn encryption_headers(&self, profile: &Profile, request: EncryptedRequest) -> Result<Vec<(String, String)>> {
        self.encryption.as_ref().map_or_else(|| Ok(Vec::new()), |e| e.headers(profile, request))
    }

    /// Whether the service's part `ETag`s are the parts' MD5s: not under SSE-KMS and SSE-C.
    pub fn md5_etags(&self) -> bool {
        self.encryption.as_ref().is_none_or(Encryption::keeps_md5_etags)
    }
}

/// `attachment; filename="ascii"` for an ASCII name; with `; filename*=UTF-8''…` (RFC 6266 §4.3)
/// and `_` for each other character in the fallback otherwise.
fn content_disposition(cd: &ContentDisposition) -> Result<String> {
    let (kind, filename) = match cd {
        ContentDisposition::Value(value) => return checked_value("contentDisposition", value),
        ContentDisposition::File { kind, filename } => (kind, filename),
    };
    if filename.is_empty() {
        return Err(Error::invalid("contentDisposition", "filename must not be empty"));
    }
    let kind = match kind {
        DispositionType::Attachment => "attachment",
        DispositionType::Inline => "inline",
    };
    let mut fallback = String::with_capacity(filename.len());
    for c in filename.chars() {
        match c {
            '"' | '\\' => {
                fallback.push('\\');
                fallback.push(c);
            }
            ' '..='~' => fallback.push(c),
            _ => fallback.push('_'),
        }
    }
    let plain = filename.chars().all(|c| matches!(c, ' '..='~'));
    Ok(if plain {
        format!("{kind}; filename=\"{fallback}\"")
    } else {
        format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{}", ext_value_encode(filename))
    })
}

/// Tags as a URL query: `k=v&k2=v2`, each key and value percent-encoded.
fn tagging(tags: &[(String, String)]) -> Result<String> {
    if tags.iter().any(|(k, _)| k.is_empty()) {
        return Err(Error::invalid("tagging", "tag keys must not be empty"));
    }
    Ok(tags.iter().map(|(k, v)| format!("{}={}", uri_encode(k), uri_encode(v))).collect::<Vec<_>>().join("&"))
}

/// A metadata value as a header carries it: as given when it is visible ASCII, else encoded.
fn metadata_value(value: &str, encoding: MetadataEncoding) -> String {
    if let Ok(plain) = checked_value("metadata", value) {
        return plain;
    }
    match encoding {
        MetadataEncoding::Rfc2047 => format!("=?UTF-8?B?{}?=", Base64::encode_string(value.as_bytes())),
        MetadataEncoding::Percent => uri_encode(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Provider;

    fn every_option() -> ObjectOptions {
        ObjectOptions {
            content_type: Some("text/plain".into()),
            content_disposition: Some(ContentDisposition::File {
                kind: DispositionType::Attachment,
                filename: "报告 2026.pdf".into(),
            }),
            cache_control: Some("max-age=60".into()),
            content_encoding: Some("gzip".into()),
            expires: Some("Wed, 21 Oct 2026 07:28:00 GMT".into()),
            storage_class: Some("STANDARD".into()),
            acl: Some("private".into()),
            tagging: vec![("project".into(), "blue sky".into()), ("a&b".into(), "c=d".into())],
            metadata: vec![("Author".into(), " alice ".into()), ("title".into(), "Grüße 你好".into())],
            headers: vec![("X-Extra".into(), "1".into())],
            encryption: None,
        }
    }

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    const DISPOSITION: &str = "attachment; filename=\"__ 2026.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%202026.pdf";

    #[test]
    fn s3_names_and_rfc_2047_metadata() {
        let h = every_option().headers(Provider::S3.profile()).expect("valid");
        let expected: Vec<(String, String)> = [
            ("content-type", "text/plain"),
            ("content-disposition", DISPOSITION),
            ("cache-control", "max-age=60"),
            ("content-encoding", "gzip"),
            ("expires", "Wed, 21 Oct 2026 07:28:00 GMT"),
            ("x-amz-storage-class", "STANDARD"),
            ("x-amz-acl", "private"),
            ("x-amz-tagging", "project=blue%20sky&a%26b=c%3Dd"),
            ("x-amz-meta-author", "alice"),
            ("x-amz-meta-title", "=?UTF-8?B?R3LDvMOfZSDkvaDlpb0=?="),
            ("x-extra", "1"),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(h, expected);
    }

    #[test]
    fn oss_names_and_percent_metadata() {
        let h = every_option().headers(Provider::Oss.profile()).expect("valid");
        assert_eq!(header(&h, "x-oss-storage-class"), Some("STANDARD"));
        assert_eq!(header(&h, "x-oss-object-acl"), Some("private"));
        assert_eq!(header(&h, "x-oss-tagging"), Some("project=blue%20sky&a%26b=c%3Dd"));
        assert_eq!(header(&h, "x-oss-meta-title"), Some("Gr%C3%BC%C3%9Fe%20%E4%BD%A0%E5%A5%BD"));
        assert_eq!(header(&h, "x-oss-meta-author"), Some("alice"));
        assert_eq!(header(&h, "content-disposition"), Some(DISPOSITION));
    }

    #[test]
    fn obs_has_no_tagging() {
        let e = every_option().headers(Provider::Obs.profile()).expect_err("no tagging");
        assert_eq!(e.code(), "InvalidInput");
        assert!(e.to_string().contains("tagging") && e.to_string().contains("obs"), "{e}");
        let h = ObjectOptions { tagging: vec![], ..every_option() }.headers(Provider::Obs.profile()).expect("valid");
        assert_eq!(header(&h, "x-obs-storage-class"), Some("STANDARD"));
        assert_eq!(header(&h, "x-obs-acl"), Some("private"));
        assert_eq!(header(&h, "x-obs-meta-title"), Some("Gr%C3%BC%C3%9Fe%20%E4%BD%A0%E5%A5%BD"));
    }

    #[test]
    fn nos_has_no_acl_or_tagging() {
        let nos = Provider::Nos.profile();
        let e = ObjectOptions { tagging: vec![], ..every_option() }.headers(nos).expect_err("no acl");
        assert!(e.to_string().contains("acl") && e.to_string().contains("nos"), "{e}");
        let e = ObjectOptions { acl: None, ..every_option() }.headers(nos).expect_err("no tagging");
        assert!(e.to_string().contains("tagging"), "{e}");
        let h = ObjectOptions { acl: None, tagging: vec![], ..every_option() }.headers(nos).expect("valid");
        assert_eq!(header(&h, "x-nos-storage-class"), Some("STANDARD"));
        assert_eq!(header(&h, "x-nos-meta-title"), Some("Gr%C3%BC%C3%9Fe%20%E4%BD%A0%E5%A5%BD"));
    }

    #[test]
    fn ks3_names() {
        let h = every_option().headers(Provider::Ks3.profile()).expect("valid");
        assert_eq!(header(&h, "x-kss-storage-class"), Some("STANDARD"));
        assert_eq!(header(&h, "x-kss-acl"), Some("private"));
        assert_eq!(header(&h, "x-kss-tagging"), Some("project=blue%20sky&a%26b=c%3Dd"));
        assert_eq!(header(&h, "x-kss-meta-title"), Some("Gr%C3%BC%C3%9Fe%20%E4%BD%A0%E5%A5%BD"));
    }

    #[test]
    fn dispositions() {
        let file = |kind, filename: &str| {
            content_disposition(&ContentDisposition::File { kind, filename: filename.into() }).expect("valid")
        };
        assert_eq!(file(DispositionType::Attachment, "report.pdf"), "attachment; filename=\"report.pdf\"");
        assert_eq!(file(DispositionType::Inline, "say \"hi\".txt"), "inline; filename=\"say \\\"hi\\\".txt\"");
        assert_eq!(
            file(DispositionType::Inline, "café's.txt"),
            "inline; filename=\"caf_'s.txt\"; filename*=UTF-8''caf%C3%A9%27s.txt"
        );
        assert!(
            content_disposition(&ContentDisposition::File { kind: DispositionType::Inline, filename: String::new() })
                .is_err()
        );
        assert_eq!(content_disposition(&ContentDisposition::Value("inline".into())), Ok("inline".to_owned()));
        assert!(content_disposition(&ContentDisposition::Value("inline; filename=\"é\"".into())).is_err());
    }

    #[test]
    fn bad_values_name_the_option() {
        let s3 = Provider::S3.profile();
        for (options, field) in [
            (ObjectOptions { metadata: vec![("a b".into(), "x".into())], ..Default::default() }, "metadata"),
            (ObjectOptions { cache_control: Some("é".into()), ..Default::default() }, "cacheControl"),
            (ObjectOptions { expires: Some("a\r\nb".into()), ..Default::default() }, "expires"),
            (ObjectOptions { storage_class: Some("é".into()), ..Default::default() }, "storageClass"),
            (ObjectOptions { tagging: vec![(String::new(), "v".into())], ..Default::default() }, "tagging"),
        ] {
            let e = options.headers(s3).expect_err(field);
            assert!(e.to_string().contains(field), "{e}");
        }
        assert_eq!(ObjectOptions::default().headers(s3), Ok(vec![]));
    }
}
