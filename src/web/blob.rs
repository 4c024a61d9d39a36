//! Byte ranges of the file as Blobs: no bytes are read or copied.

use super::errors::browser_error;
use crate::error::{Error, Result};

/// `len` bytes of `file` from `offset`, checked to lie within it.
///
/// # Errors
/// [`Error::InvalidInput`] for a range beyond the file; [`Error::Browser`] if slicing fails.
pub(crate) fn slice(file: &web_sys::Blob, offset: u64, len: u64) -> Result<web_sys::Blob> {
    let end = offset.checked_add(len).filter(|end| *end as f64 <= file.size());
    let end = end.ok_or_else(|| Error::invalid("file", "the range lies beyond the end of the file"))?;
    #[allow(clippy::cast_precision_loss)] // offsets stay below 2^53 (Blob sizes are f64)
    file.slice_with_f64_and_f64(offset as f64, end as f64).map_err(|e| browser_error(&e))
}

/// The ranges of `file`, in order, as one Blob.
///
/// # Errors
/// As [`slice`].
pub(crate) fn ranges(file: &web_sys::Blob, ranges: &[(u64, u64)]) -> Result<web_sys::Blob> {
    if let [(offset, len)] = ranges {
        return slice(file, *offset, *len);
    }
    let pieces = js_sys::Array::new();
    for (offset, len) in ranges {
        pieces.push(slice(file, *offset, *len)?.as_ref());
    }
    web_sys::Blob::new_with_blob_sequence(&pieces).map_err(|e| browser_error(&e))
}

/// A Blob's size in bytes.
pub(crate) fn size(file: &web_sys::Blob) -> u64 {
    // Blob sizes are whole and non-negative.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let size = file.size() as u64;
    size
}
