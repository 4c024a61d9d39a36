//! The core as the browser shell (`js/driver.js`) drives it: an uploader's client and its machines
//! as wasm exports (`machine.rs`), the commands and answers between them (`exchange.rs`), the
//! options and the objects the JS API exchanges (`js_api.rs`), and the hashing exports the Workers
//! run (`hash.rs`). Nothing here does I/O, reads the clock or waits.

mod exchange;
mod hash;
mod js_api;
mod machine;

use wasm_bindgen::JsValue;

/// Talc instead of the default dlmalloc: smaller in the module and faster.
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Sets `name` on a plain object (which cannot fail).
pub(crate) fn set(target: &js_sys::Object, name: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(target, &JsValue::from_str(name), value);
}
