//! The browser shell: the only code that touches `fetch`, `XMLHttpRequest`, `Blob`s, Workers,
//! IndexedDB and the JS clock. It runs the core's [`crate::upload::parts::Session`] and turns its
//! requests into network calls and the answers back into [`crate::http::Response`]s.

mod auth;
mod fetch;
mod hash;
mod js_api;
mod store;
mod uploader;
mod xhr;

pub use auth::{Operation, Signer};
pub use fetch::send;
pub use hash::HashPool;
pub use uploader::{
    ObjectSpec, Observer, TaskControl, TaskState, TaskStats, UploadEvent, UploadResult, UploadTask, Uploader,
    UploaderOptions,
};

use crate::error::{Error, Result};
use crate::timestamp::Timestamp;
use wasm_bindgen::{JsCast, JsValue};

/// The browser's clock, as a [`Timestamp`].
///
/// # Errors
/// [`Error::InvalidInput`] if the clock reads before 1970 or after 9999.
pub fn now() -> Result<Timestamp> {
    // Whole seconds since the epoch: f64 → i64 is exact for any plausible clock value.
    #[allow(clippy::cast_possible_truncation)]
    let seconds = (js_sys::Date::now() / 1000.0).floor() as i64;
    Timestamp::from_unix(seconds)
}

/// A rejected promise or thrown value as a network error that keeps the JS `name` and `message`.
pub(crate) fn js_error(value: &JsValue) -> Error {
    let message = match value.dyn_ref::<js_sys::Error>() {
        Some(e) => format!("{}: {}", String::from(e.name()), String::from(e.message())),
        None => value.as_string().unwrap_or_else(|| format!("{value:?}")),
    };
    Error::Network { message }
}

/// Sets `name` on a plain object (which cannot fail).
pub(crate) fn set(target: &js_sys::Object, name: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(target, &JsValue::from_str(name), value);
}
