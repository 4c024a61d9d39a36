//! What crosses between the JS driver and the machines (`machine.rs`): commands as plain objects
//! `{t, id?, …}`, and what the app and IndexedDB hand back — credentials, presign answers, stored
//! records — read as the core's values.

use super::hash::code;
use super::js_api::event_object;
use super::set;
use crate::actions::UploadSummary;
use crate::bucket::Bucket;
use crate::error::{Error, Result};
use crate::http::{Body, Request};
use crate::signing::Credentials;
use crate::timestamp::Timestamp;
use crate::upload::checkpoint::Checkpoint;
use crate::upload::{Command, FetchedCredentials, Presigned};
use js_sys::{Array, Object, Reflect};
use std::cell::Cell;
use wasm_bindgen::prelude::*;

/// `[{key, uploadId, initiated}]`.
pub(super) fn uploads_array(uploads: Vec<UploadSummary>) -> Array {
    let all = Array::new();
    for u in uploads {
        let o = Object::new();
        set(&o, "key", &u.key.into());
        set(&o, "uploadId", &u.upload_id.into());
        set(&o, "initiated", &u.initiated.map_or(JsValue::NULL, JsValue::from));
        all.push(&o);
    }
    all
}

/// The commands as `{t, …}` objects.
#[allow(clippy::cast_precision_loss)]
pub(super) fn commands_array(commands: Vec<Command>, bucket: &Bucket) -> Array {
    let out = Array::new();
    for command in commands {
        let o = Object::new();
        let (kind, id) = match command {
            Command::Send { id, request } => {
                set(&o, "method", &request.method.as_str().into());
                set(&o, "url", &request.url.into());
                set(&o, "headers", &pairs(&request.headers));
                match request.body {
                    Body::Empty => {}
                    Body::Text(text) => set(&o, "text", &text.into()),
                    Body::Range { offset, len } => {
                        set(&o, "offset", &(offset as f64).into());
                        set(&o, "len", &(len as f64).into());
                    }
                }
                ("send", Some(id))
            }
            Command::Presign { id, operation, request } => {
                set(&o, "request", &presign_description(bucket, operation.name(), &request));
                ("presign", Some(id))
            }
            Command::FetchCredentials { id } => ("credentials", Some(id)),
            Command::Hash { id, ranges, md5, checksum } => {
                let flat = Array::new();
                for (offset, len) in ranges {
                    flat.push(&(offset as f64).into());
                    flat.push(&(len as f64).into());
                }
                set(&o, "ranges", &flat);
                set(&o, "code", &code(md5, checksum).into());
                set(&o, "md5", &md5.into());
                ("hash", Some(id))
            }
            Command::Cancel(id) => ("cancel", Some(id)),
            Command::Lock { name } => {
                set(&o, "name", &name.into());
                ("lock", None)
            }
            Command::Unlock { name } => {
                set(&o, "name", &name.into());
                ("unlock", None)
            }
            Command::LoadCheckpoints { destination } => {
                set(&o, "prefix", &destination.into());
                ("load", None)
            }
            Command::SaveCheckpoint(checkpoint) => {
                set(&o, "key", &checkpoint.id().into());
                set(&o, "record", &checkpoint.to_json().into());
                ("save", None)
            }
            Command::DeleteCheckpoint(key) => {
                set(&o, "key", &key.into());
                ("delete", None)
            }
            Command::WaitOnline => ("online", None),
            Command::Sleep { until_ms } => {
                set(&o, "until", &(until_ms as f64).into());
                ("sleep", None)
            }
            Command::Emit(event) => {
                let (name, detail) = event_object(&event);
                set(&o, "name", &name.into());
                set(&o, "detail", &detail);
                ("emit", None)
            }
        };
        set(&o, "t", &kind.into());
        if let Some(id) = id {
            set(&o, "id", &(id.0 as f64).into());
        }
        out.push(&o);
    }
    out
}

fn pairs(pairs: &[(String, String)]) -> Array {
    let out = Array::new();
    for (name, value) in pairs {
        out.push(&name.as_str().into());
        out.push(&value.as_str().into());
    }
    out
}

/// The request a `presign` callback is asked to sign.
fn presign_description(bucket: &Bucket, operation: &str, request: &Request) -> JsValue {
    let description = Object::new();
    set(&description, "operation", &operation.into());
    set(&description, "method", &request.method.as_str().into());
    set(&description, "bucket", &bucket.name().into());
    set(&description, "key", &request.key.as_str().into());
    let query = Object::new();
    for (name, value) in &request.query {
        set(&query, name, &value.as_str().into());
        match name.as_str() {
            "uploadId" => set(&description, "uploadId", &value.as_str().into()),
            "partNumber" => set(&description, "partNumber", &value.parse::<u16>().map_or(JsValue::NULL, JsValue::from)),
            _ => {}
        }
    }
    set(&description, "query", &query);
    let headers = Object::new();
    for (name, value) in &request.headers {
        set(&headers, name, &value.as_str().into());
    }
    set(&description, "headers", &headers);
    description.into()
}

pub(super) fn fetched_credentials(value: &JsValue, expires: Option<f64>) -> Result<FetchedCredentials> {
    let failed = |what: &str| Error::unusable(format!("the credentials callback {what}"));
    let text = |name: &str| Reflect::get(value, &JsValue::from_str(name)).ok().and_then(|v| v.as_string());
    let access = text("accessKeyId").ok_or_else(|| failed("returned no accessKeyId"))?;
    let secret = text("secretAccessKey").ok_or_else(|| failed("returned no secretAccessKey"))?;
    let expiration = match expires {
        None => None,
        Some(millis) if millis.is_nan() => return Err(failed("returned an unreadable expiration")),
        // Milliseconds since the epoch as whole seconds: exact for any real date.
        #[allow(clippy::cast_possible_truncation)]
        Some(millis) => Some(Timestamp::from_unix((millis / 1000.0).floor() as i64)?),
    };
    Ok(FetchedCredentials { credentials: Credentials::new(access, secret, text("sessionToken")), expiration })
}

pub(super) fn presigned(answer: &JsValue) -> Result<Presigned> {
    if let Some(url) = answer.as_string() {
        return Ok(Presigned { url, headers: Vec::new() });
    }
    let url = Reflect::get(answer, &"url".into()).ok().and_then(|u| u.as_string());
    let url = url.ok_or_else(|| Error::unusable("the presign callback returned neither a URL nor {url}"))?;
    let extra = Reflect::get(answer, &"headers".into()).unwrap_or(JsValue::UNDEFINED);
    let mut headers = Vec::new();
    if extra.is_object() {
        for entry in Object::entries(extra.unchecked_ref()).iter() {
            let pair = Array::from(&entry);
            if let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                headers.push((name, value));
            }
        }
    }
    Ok(Presigned { url, headers })
}

#[wasm_bindgen]
extern "C" {
    /// `console.warn`.
    #[wasm_bindgen(js_namespace = console)]
    fn warn(message: &str);
}

thread_local! {
    static WARNED_UNREADABLE: Cell<bool> = const { Cell::new(false) };
}

/// The checkpoint in a stored record (as JSON); an unreadable one (damaged, cut short, another
/// schema) is ignored, with a console warning the first time, and its upload starts afresh.
pub(super) fn readable(value: &JsValue) -> Option<Checkpoint> {
    let checkpoint = Checkpoint::from_json(&value.as_string().unwrap_or_default());
    if let Err(error) = &checkpoint
        && !WARNED_UNREADABLE.replace(true)
    {
        warn(&format!("partwise: a stored checkpoint was ignored: {error}"));
    }
    checkpoint.ok()
}
