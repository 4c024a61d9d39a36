//! The browser shell: the only code that touches `fetch`, `XMLHttpRequest`, `Blob`s, Workers,
//! IndexedDB, timers and the JS clock. It carries out the commands of the core's machines
//! ([`crate::upload::Upload`], [`crate::upload::Call`]) and reports back what happened.

mod auth;
mod blob;
mod errors;
mod executor;
mod fetch;
mod hash;
mod js_api;
mod locks;
mod store;
mod uploader;
mod warnings;
mod xhr;

pub use auth::Signer;
pub use fetch::send;
pub use hash::HashPool;
pub use uploader::{Observer, TaskControl, UploadTask, Uploader, UploaderOptions};

use crate::error::Result;
use crate::timestamp::Timestamp;
use wasm_bindgen::JsValue;

/// Talc instead of the default dlmalloc: smaller in the module and faster.
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// The browser's clock in milliseconds since the epoch.
pub fn now_ms() -> u64 {
    // Whole milliseconds: f64 → u64 is exact for any plausible clock value.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let ms = js_sys::Date::now().max(0.0) as u64;
    ms
}

/// The browser's clock, as a [`Timestamp`].
///
/// # Errors
/// [`crate::Error::InvalidInput`] if the clock reads before 1970 or after 9999.
pub fn now() -> Result<Timestamp> {
    Timestamp::from_unix(i64::try_from(now_ms() / 1000).unwrap_or(i64::MAX))
}

/// Sets `name` on a plain object (which cannot fail).
pub(crate) fn set(target: &js_sys::Object, name: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(target, &JsValue::from_str(name), value);
}
