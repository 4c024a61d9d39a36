//! Part bodies go up through `XMLHttpRequest`: unlike `fetch` over HTTP/1.1 it reports upload
//! progress, which gives byte-level progress and shows the core when a request has stalled.

use super::blob::slice;
use super::errors::{browser_error, network_error};
use crate::bucket::SignedRequest;
use crate::error::{Error, Result};
use crate::http::{Body, Response};
use futures::channel::oneshot;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::XmlHttpRequest;

/// Request headers the browser sets itself and refuses from scripts.
const FORBIDDEN: &[&str] = &["host", "content-length", "date", "connection"];

/// Detaches the handlers and aborts the request if it is unfinished when the future sending it
/// is dropped (pause, abort, a sibling's failure). Declared after the handlers, so dropped first.
struct AbortOnDrop(XmlHttpRequest);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        let xhr = &self.0;
        xhr.set_onload(None);
        xhr.set_onerror(None);
        xhr.set_ontimeout(None);
        xhr.set_onprogress(None);
        if let Ok(upload) = xhr.upload() {
            upload.set_onprogress(None);
        }
        if xhr.ready_state() != XmlHttpRequest::DONE {
            // Aborting an unfinished request cannot fail.
            let _ = xhr.abort();
        }
    }
}

/// Sends `request` with its [`Body::Range`] sliced from `file`, calling `progress(bytes_sent)`
/// at every sign of life (body bytes going out, answer bytes coming in). Stalls are the core's
/// to notice: it cancels the request by dropping this future.
///
/// # Errors
/// [`Error::Network`] when the request fails; [`Error::InvalidInput`] for a bad range.
pub(crate) async fn send_body(
    request: &SignedRequest,
    file: &web_sys::Blob,
    progress: Rc<dyn Fn(u64)>,
) -> Result<Response> {
    let Body::Range { offset, len } = request.body else {
        return Err(Error::invalid("body", "only part bodies go through XMLHttpRequest"));
    };
    let body = slice(file, offset, len)?;
    let xhr = XmlHttpRequest::new().map_err(|e| browser_error(&e))?;
    xhr.open_with_async(request.method.as_str(), &request.url, true).map_err(|e| network_error(&e))?;
    for (name, value) in &request.headers {
        if !FORBIDDEN.contains(&name.to_ascii_lowercase().as_str()) {
            xhr.set_request_header(name, value).map_err(|e| network_error(&e))?;
        }
    }
    let (done_tx, done_rx) = oneshot::channel::<std::result::Result<(), &'static str>>();
    let done_tx = Rc::new(Cell::new(Some(done_tx)));
    let finish = |outcome: std::result::Result<(), &'static str>| {
        let done_tx = done_tx.clone();
        Closure::<dyn FnMut()>::new(move || {
            if let Some(tx) = done_tx.take() {
                let _ = tx.send(outcome);
            }
        })
    };
    let on_load = finish(Ok(()));
    let on_error = finish(Err("the connection failed"));
    let on_timeout = finish(Err("the request timed out"));
    xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
    xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    xhr.set_ontimeout(Some(on_timeout.as_ref().unchecked_ref()));

    let sent = Rc::new(Cell::new(0u64));
    let on_progress = {
        let (sent, progress) = (sent.clone(), progress.clone());
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |event: web_sys::ProgressEvent| {
            // Byte counts are whole numbers well below 2^53.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            sent.set(event.loaded() as u64);
            progress(sent.get());
        })
    };
    xhr.upload().map_err(|e| browser_error(&e))?.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    let on_response_progress = {
        let (sent, progress) = (sent.clone(), progress.clone());
        Closure::<dyn FnMut()>::new(move || progress(sent.get()))
    };
    xhr.set_onprogress(Some(on_response_progress.as_ref().unchecked_ref()));

    let guard = AbortOnDrop(xhr.clone());
    xhr.send_with_opt_blob(Some(&body)).map_err(|e| network_error(&e))?;
    let outcome = done_rx.await.unwrap_or(Err("the request was cancelled"));
    drop(guard);
    if let Err(message) = outcome {
        return Err(Error::Network { message: message.into() });
    }
    progress(sent.get().max(len));
    Ok(Response {
        status: xhr.status().map_err(|e| browser_error(&e))?,
        headers: parse_headers(&xhr.get_all_response_headers().unwrap_or_default()),
        body: xhr.response_text().ok().flatten().unwrap_or_default().into_bytes(),
    })
}

/// `getAllResponseHeaders()` text as name/value pairs (only the headers CORS exposes).
fn parse_headers(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim_ascii().to_ascii_lowercase(), value.trim_ascii().to_owned()))
        .collect()
}
