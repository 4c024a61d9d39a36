//! JS failures as partwise errors: a request that failed on the way is a (retryable) network
//! error; anything else the browser throws — a Worker, a Content-Security-Policy, IndexedDB, a
//! Blob that cannot be read — is a browser error, not retried as if the network were at fault.

use crate::error::Error;
use wasm_bindgen::{JsCast, JsValue};

/// A failed `fetch` or XHR.
pub(crate) fn network_error(value: &JsValue) -> Error {
    Error::Network { message: describe(value) }
}

/// Any other exception or rejection of the browser's.
pub(crate) fn browser_error(value: &JsValue) -> Error {
    Error::Browser { message: describe(value) }
}

/// The JS `name: message` of a thrown value, or its text.
pub(crate) fn describe(value: &JsValue) -> String {
    match value.dyn_ref::<js_sys::Error>() {
        Some(e) => format!("{}: {}", String::from(e.name()), String::from(e.message())),
        None => value.as_string().unwrap_or_else(|| "an unknown error".to_owned()),
    }
}
