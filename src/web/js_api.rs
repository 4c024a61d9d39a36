//! What crosses between the JS API (`js/index.js`) and the core: the app's `retry.shouldRetry`;
//! results and events as plain objects; errors as plain objects
//! `{code, status, providerCode, requestId, retryable, message}` that the wrapper turns into
//! `PartwiseError`s.

use super::set;
use crate::error::Error;
use crate::upload::retry::RetryHook;
use crate::upload::{Event, UploadResult};
use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;

/// The app's `retry.shouldRetry` as the core asks it: `false`, or a throw, stops retrying.
pub(crate) fn retry_hook(hook: Function) -> RetryHook {
    RetryHook::new(move |error, attempt| {
        hook.call2(&JsValue::NULL, &error_object(error), &attempt.into()).is_ok_and(|answer| answer != JsValue::FALSE)
    })
}

/// An [`Error`] as the object the JS wrapper turns into a `PartwiseError`.
pub(crate) fn error_object(error: &Error) -> JsValue {
    let o = Object::new();
    set(&o, "code", &error.code().into());
    set(&o, "message", &error.to_string().into());
    set(&o, "status", &error.status().map_or(JsValue::NULL, JsValue::from));
    set(&o, "providerCode", &error.provider_code().map_or(JsValue::NULL, JsValue::from));
    set(&o, "requestId", &error.request_id().map_or(JsValue::NULL, JsValue::from));
    set(&o, "retryable", &error.is_retryable().into());
    o.into()
}

pub(crate) fn result_object(r: &UploadResult) -> Object {
    let o = Object::new();
    set(&o, "bucket", &r.bucket.as_str().into());
    set(&o, "key", &r.key.as_str().into());
    set(&o, "uploadId", &r.upload_id.as_deref().map_or(JsValue::NULL, JsValue::from));
    set(&o, "etag", &r.etag.as_str().into());
    set(&o, "location", &r.location.as_str().into());
    // Sizes stay below 2^53.
    #[allow(clippy::cast_precision_loss)]
    set(&o, "size", &(r.size as f64).into());
    set(&o, "parts", &r.parts.into());
    o
}

/// An event's name and `detail`.
pub(crate) fn event_object(event: &Event) -> (&'static str, JsValue) {
    let o = Object::new();
    match event {
        Event::Progress(p) => {
            // Byte counts stay below 2^53.
            #[allow(clippy::cast_precision_loss)]
            {
                set(&o, "loaded", &(p.loaded as f64).into());
                set(&o, "total", &(p.total as f64).into());
            }
            set(&o, "partsDone", &p.parts_done.into());
            set(&o, "partsTotal", &p.parts_total.into());
            set(&o, "bytesPerSecond", &p.bytes_per_second.into());
            set(&o, "etaSeconds", &p.eta_seconds.map_or(JsValue::NULL, JsValue::from));
        }
        Event::Part { number, etag, size } => {
            set(&o, "partNumber", &(*number).into());
            set(&o, "etag", &etag.as_str().into());
            #[allow(clippy::cast_precision_loss)]
            set(&o, "size", &(*size as f64).into());
        }
        Event::Retry { part, attempt, delay_ms, error } => {
            set(&o, "partNumber", &part.map_or(JsValue::NULL, JsValue::from));
            set(&o, "attempt", &(*attempt).into());
            #[allow(clippy::cast_precision_loss)]
            set(&o, "delayMs", &(*delay_ms as f64).into());
            set(&o, "error", &error_object(error));
        }
        Event::State(state) => set(&o, "state", &state.name().into()),
        Event::Replaced { key, upload_id } => {
            set(&o, "key", &key.as_str().into());
            set(&o, "uploadId", &upload_id.as_str().into());
        }
    }
    (event.name(), o.into())
}
