//! ListMultipartUploads: `GET /?uploads` with prefix, delimiter, markers and page size.

use super::{Action, Operation, check, request};
use crate::error::{Error, Result};
use crate::http::{Method, Request, Response};
use crate::provider::Profile;
use crate::xml;

/// Lists a bucket's unfinished uploads, one page at a time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListMultipartUploads {
    /// Only keys starting with this.
    pub prefix: Option<String>,
    /// Group keys up to this character into common prefixes.
    pub delimiter: Option<String>,
    /// Start after this key…
    pub key_marker: Option<String>,
    /// …and, within it, after this upload id.
    pub upload_id_marker: Option<String>,
    /// Page size, 1 to 1,000.
    pub max_uploads: Option<u16>,
    /// Ask the service to URL-encode keys in the answer (they are decoded on parsing).
    pub url_encoded_keys: bool,
}

/// An unfinished upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadSummary {
    /// Its key.
    pub key: String,
    /// Its upload id.
    pub upload_id: String,
    /// When it was started, as the service writes it.
    pub initiated: Option<String>,
}

/// One page of unfinished uploads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadsPage {
    /// The uploads on this page.
    pub uploads: Vec<UploadSummary>,
    /// Key prefixes grouped by the delimiter.
    pub common_prefixes: Vec<String>,
    /// Whether more pages follow.
    pub is_truncated: bool,
    /// Key where the next page starts.
    pub next_key_marker: Option<String>,
    /// Upload id where the next page starts.
    pub next_upload_id_marker: Option<String>,
}

impl Action for ListMultipartUploads {
    const OPERATION: Operation = Operation::ListMultipartUploads;
    type Output = UploadsPage;

    /// The request.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for `max_uploads` outside 1..=1000.
    fn request(&self, _profile: &Profile) -> Result<Request> {
        let mut query = vec![("uploads".to_owned(), String::new())];
        let mut add = |name: &str, value: &Option<String>| {
            if let Some(v) = value {
                query.push((name.to_owned(), v.clone()));
            }
        };
        add("prefix", &self.prefix);
        add("delimiter", &self.delimiter);
        add("key-marker", &self.key_marker);
        add("upload-id-marker", &self.upload_id_marker);
        if let Some(max) = self.max_uploads {
            if !(1..=1000).contains(&max) {
                return Err(Error::invalid("maxUploads", format!("{max} is outside 1..=1000")));
            }
            query.push(("max-uploads".into(), max.to_string()));
        }
        if self.url_encoded_keys {
            query.push(("encoding-type".into(), "url".into()));
        }
        Ok(request(Method::Get, String::new(), query))
    }

    /// Reads one page.
    ///
    /// # Errors
    /// [`Error::Provider`] for an error answer, [`Error::InvalidResponse`] for an unreadable one.
    fn parse(response: &Response, profile: &Profile) -> Result<UploadsPage> {
        check(response, profile)?;
        const CONTEXT: &str = "ListMultipartUploads";
        let r = xml::parse(response.text(CONTEXT)?, CONTEXT)?;
        let encoded = r.field("EncodingType").is_some_and(|e| e.trim_ascii().eq_ignore_ascii_case("url"));
        let decode = |s: &str| if encoded { url_decode(s) } else { s.to_owned() };
        let nonempty = |name| r.field(name).map(str::trim_ascii).filter(|v| !v.is_empty());
        let uploads = r
            .children("Upload")
            .map(|u| {
                Ok(UploadSummary {
                    key: decode(required(u, "Key")?),
                    upload_id: required(u, "UploadId")?.trim_ascii().to_owned(),
                    initiated: u.field("Initiated").map(str::to_owned),
                })
            })
            .collect::<Result<_>>()?;
        Ok(UploadsPage {
            uploads,
            common_prefixes: r
                .children("CommonPrefixes")
                .map(|p| decode(p.field("Prefix").unwrap_or_default()))
                .collect(),
            is_truncated: r.flag("IsTruncated", CONTEXT)?,
            next_key_marker: nonempty("NextKeyMarker").map(decode),
            next_upload_id_marker: nonempty("NextUploadIdMarker").map(str::to_owned),
        })
    }
}

impl ListMultipartUploads {
    /// The request for the page after `page`, or `None` when `page` was the last.
    ///
    /// # Errors
    /// [`Error::InvalidResponse`] when a truncated page gives no way forward.
    pub fn next(&self, page: &UploadsPage) -> Result<Option<ListMultipartUploads>> {
        if !page.is_truncated {
            return Ok(None);
        }
        let key_marker = page.next_key_marker.clone().or_else(|| page.uploads.last().map(|u| u.key.clone()));
        let upload_id_marker = page.next_upload_id_marker.clone();
        if key_marker.is_none() || (key_marker == self.key_marker && upload_id_marker == self.upload_id_marker) {
            return Err(Error::InvalidResponse {
                context: "ListMultipartUploads",
                message: "a truncated page without new markers".into(),
            });
        }
        Ok(Some(ListMultipartUploads { key_marker, upload_id_marker, ..self.clone() }))
    }
}

/// The text of an `<Upload>` child the service must send.
fn required<'a>(upload: &'a xml::Element, name: &str) -> Result<&'a str> {
    upload.field(name).ok_or_else(|| Error::InvalidResponse {
        context: "ListMultipartUploads",
        message: format!("an <Upload> without <{name}>"),
    })
}

fn url_decode(text: &str) -> String {
    crate::signing::encode::percent_decode(&text.replace('+', " "))
}
