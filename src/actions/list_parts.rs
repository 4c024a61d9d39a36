//! ListParts: `GET /key?uploadId=ID[&max-parts=][&part-number-marker=]`, one page at a time.

use super::{Action, Operation, check, checked_key, checked_upload_id, request};
use crate::error::{Error, Result};
use crate::http::{Method, Request, Response};
use crate::provider::Profile;
use crate::xml;

/// Lists the parts the service holds for an upload, from `part_number_marker` on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListParts {
    /// The object key.
    pub key: String,
    /// The upload id.
    pub upload_id: String,
    /// Page size, 1 to 1,000 (the service's default is 1,000).
    pub max_parts: Option<u16>,
    /// List parts numbered after this one.
    pub part_number_marker: Option<u16>,
}

/// The parts the service holds, one per number, from every page listed (in part-number order, as
/// ListParts answers): where a number is listed more than once (SeaweedFS lists each upload of a
/// part number and completes with the one it lists last), its last entry.
pub fn held_parts(listed: &[ListedPart]) -> Vec<&ListedPart> {
    let mut held: Vec<&ListedPart> = listed.iter().rev().collect();
    held.dedup_by_key(|p| p.part_number);
    held.reverse();
    held
}

/// A part the service holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedPart {
    /// Part number.
    pub part_number: u16,
    /// The part's `ETag`, as the service writes it.
    pub etag: String,
    /// Size in bytes.
    pub size: u64,
    /// When the part was stored, as the service writes it.
    pub last_modified: Option<String>,
}

/// One page of parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartsPage {
    /// The parts on this page.
    pub parts: Vec<ListedPart>,
    /// Whether more pages follow.
    pub is_truncated: bool,
    /// Where the next page starts.
    pub next_part_number_marker: Option<u16>,
}

impl Action for ListParts {
    const OPERATION: Operation = Operation::ListParts;
    type Output = PartsPage;

    /// The request.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad key or upload id, or `max_parts` outside 1..=1000.
    fn request(&self, profile: &Profile) -> Result<Request> {
        let mut query = vec![("uploadId".into(), checked_upload_id(&self.upload_id)?)];
        if let Some(max) = self.max_parts {
            if !(1..=1000).contains(&max) {
                return Err(Error::invalid("maxParts", format!("{max} is outside 1..=1000")));
            }
            query.push(("max-parts".into(), max.to_string()));
        }
        if let Some(marker) = self.part_number_marker {
            query.push(("part-number-marker".into(), marker.to_string()));
        }
        Ok(request(Method::Get, checked_key(&self.key, profile)?, query))
    }

    /// Reads one page.
    ///
    /// # Errors
    /// [`Error::Provider`] for an error answer, [`Error::InvalidResponse`] for an unreadable one.
    fn parse(response: &Response, profile: &Profile) -> Result<PartsPage> {
        check(response, profile)?;
        const CONTEXT: &str = "ListParts";
        let r = xml::parse(response.text(CONTEXT)?, CONTEXT)?;
        let parts = r
            .children("Part")
            .map(|p| {
                Ok(ListedPart {
                    part_number: p.number("PartNumber", CONTEXT)?.ok_or_else(|| Error::InvalidResponse {
                        context: CONTEXT,
                        message: "a <Part> without <PartNumber>".into(),
                    })?,
                    etag: p.field("ETag").unwrap_or_default().trim_ascii().to_owned(),
                    size: p.number("Size", CONTEXT)?.unwrap_or_default(),
                    last_modified: p.field("LastModified").map(str::to_owned),
                })
            })
            .collect::<Result<_>>()?;
        Ok(PartsPage {
            parts,
            is_truncated: r.flag("IsTruncated", CONTEXT)?,
            next_part_number_marker: r.number("NextPartNumberMarker", CONTEXT)?,
        })
    }
}

impl ListParts {
    /// The request for the page after `page`, or `None` when `page` was the last.
    ///
    /// # Errors
    /// [`Error::InvalidResponse`] when a truncated page gives no way forward.
    pub fn next(&self, page: &PartsPage) -> Result<Option<ListParts>> {
        if !page.is_truncated {
            return Ok(None);
        }
        let marker = page
            .next_part_number_marker
            .or_else(|| page.parts.iter().map(|p| p.part_number).max())
            .filter(|m| Some(*m) > self.part_number_marker)
            .ok_or_else(|| Error::InvalidResponse {
                context: "ListParts",
                message: "a truncated page without a next part number marker".into(),
            })?;
        Ok(Some(ListParts { part_number_marker: Some(marker), ..self.clone() }))
    }
}
