//! One signed request through the global `fetch` (Window and Worker alike).

use super::blob::slice;
use super::errors::{browser_error, network_error};
use crate::bucket::SignedRequest;
use crate::error::{Error, Result};
use crate::http::{Body, Response};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, bound directly so the shell also runs inside Workers.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &web_sys::Request) -> js_sys::Promise;
}

/// Aborts the `fetch` when the future awaiting it is dropped (the core cancelled it: a timeout,
/// a pause, an abort).
struct AbortOnDrop(web_sys::AbortController);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Sends `request`; a [`Body::Range`] is sliced from `file` (never copied into wasm memory).
///
/// # Errors
/// [`Error::Network`] when `fetch` rejects (offline, CORS, reset);
/// [`Error::InvalidInput`] when a range body comes without a file or beyond it.
pub async fn send(request: &SignedRequest, file: Option<&web_sys::Blob>) -> Result<Response> {
    let controller = web_sys::AbortController::new().map_err(|e| browser_error(&e))?;
    let init = web_sys::RequestInit::new();
    init.set_signal(Some(&controller.signal()));
    init.set_method(request.method.as_str());
    let headers = web_sys::Headers::new().map_err(|e| browser_error(&e))?;
    for (name, value) in &request.headers {
        headers.append(name, value).map_err(|e| network_error(&e))?;
    }
    init.set_headers(&headers);
    match &request.body {
        Body::Empty => {}
        Body::Text(text) => init.set_body(&JsValue::from_str(text)),
        Body::Range { offset, len } => {
            let file = file.ok_or_else(|| Error::invalid("file", "a part upload needs the file"))?;
            init.set_body(&slice(file, *offset, *len)?.into());
        }
    }
    let js_request = web_sys::Request::new_with_str_and_init(&request.url, &init).map_err(|e| network_error(&e))?;
    let _abort = AbortOnDrop(controller);
    let answer = JsFuture::from(global_fetch(&js_request)).await.map_err(|e| network_error(&e))?;
    let answer: web_sys::Response = answer.dyn_into().map_err(|e| network_error(&e))?;
    read_response(&answer).await
}

async fn read_response(answer: &web_sys::Response) -> Result<Response> {
    let mut headers = Vec::new();
    if let Ok(Some(entries)) = js_sys::try_iter(&answer.headers()) {
        for entry in entries.flatten() {
            let pair = js_sys::Array::from(&entry);
            if let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                headers.push((name, value));
            }
        }
    }
    let buffer = answer.array_buffer().map_err(|e| network_error(&e))?;
    let buffer = JsFuture::from(buffer).await.map_err(|e| network_error(&e))?;
    Ok(Response { status: answer.status(), headers, body: js_sys::Uint8Array::new(&buffer).to_vec() })
}
