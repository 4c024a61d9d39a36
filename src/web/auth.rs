//! The app's two callbacks, called when the core asks: `credentials()` for temporary keys and
//! `presign(request)` for one presigned request. What they answer goes back to the core as data;
//! when to call them is the core's decision.

use super::errors::describe;
use super::set;
use crate::actions::Operation;
use crate::bucket::Bucket;
use crate::error::{Error, Result};
use crate::http::Request;
use crate::signing::Credentials;
use crate::timestamp::Timestamp;
use crate::upload::{FetchedCredentials, Keyring, Presigned, Signing};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// The app's source of signatures.
#[derive(Clone, Debug)]
pub enum Signer {
    /// `credentials: () => Promise<{accessKeyId, secretAccessKey, sessionToken?, expiration?}>`.
    Credentials(js_sys::Function),
    /// `presign: (request) => Promise<string | {url, headers}>`.
    Presign(js_sys::Function),
}

impl Signer {
    /// Signs in the browser with the credentials `callback` resolves to.
    pub fn credentials(callback: js_sys::Function) -> Self {
        Signer::Credentials(callback)
    }

    /// Has every request presigned by `callback` (the app's backend).
    pub fn presign(callback: js_sys::Function) -> Self {
        Signer::Presign(callback)
    }

    /// How the core signs with this source.
    pub(crate) fn signing(&self) -> Signing {
        match self {
            Signer::Credentials(_) => Signing::Credentials(Keyring::default()),
            Signer::Presign(_) => Signing::Presigned,
        }
    }
}

/// Calls the app's `credentials` callback.
///
/// # Errors
/// [`Error::Credentials`] when it throws, rejects or answers without keys.
pub(crate) async fn fetch_credentials(callback: js_sys::Function) -> Result<FetchedCredentials> {
    let failed = |what: &str| Error::Credentials { message: format!("the credentials callback {what}") };
    let value = call(&callback, None, "credentials").await?;
    let text = |name: &str| js_sys::Reflect::get(&value, &JsValue::from_str(name)).ok().and_then(|v| v.as_string());
    let access = text("accessKeyId").ok_or_else(|| failed("returned no accessKeyId"))?;
    let secret = text("secretAccessKey").ok_or_else(|| failed("returned no secretAccessKey"))?;
    let expiration = js_sys::Reflect::get(&value, &JsValue::from_str("expiration")).unwrap_or(JsValue::UNDEFINED);
    let expiration = if expiration.is_undefined() || expiration.is_null() {
        None
    } else {
        let millis = js_sys::Date::new(&expiration).get_time();
        if millis.is_nan() {
            return Err(failed("returned an unreadable expiration"));
        }
        // Milliseconds since the epoch as whole seconds: exact for any real date.
        #[allow(clippy::cast_possible_truncation)]
        Some(Timestamp::from_unix((millis / 1000.0).floor() as i64)?)
    };
    Ok(FetchedCredentials { credentials: Credentials::new(access, secret, text("sessionToken")), expiration })
}

/// Asks the app's `presign` callback to presign `request`.
///
/// # Errors
/// [`Error::Credentials`] when it throws, rejects or answers without a URL.
pub(crate) async fn presign(
    callback: js_sys::Function,
    bucket: &Bucket,
    operation: Operation,
    request: &Request,
) -> Result<Presigned> {
    let description = js_sys::Object::new();
    set(&description, "operation", &operation.name().into());
    set(&description, "method", &request.method.as_str().into());
    set(&description, "bucket", &bucket.name().into());
    set(&description, "key", &request.key.as_str().into());
    let query = js_sys::Object::new();
    for (name, value) in &request.query {
        set(&query, name, &value.as_str().into());
        match name.as_str() {
            "uploadId" => set(&description, "uploadId", &value.as_str().into()),
            "partNumber" => set(&description, "partNumber", &value.parse::<f64>().map_or(JsValue::NULL, JsValue::from)),
            _ => {}
        }
    }
    set(&description, "query", &query);
    let headers = js_sys::Object::new();
    for (name, value) in &request.headers {
        set(&headers, name, &value.as_str().into());
    }
    set(&description, "headers", &headers);
    let answer = call(&callback, Some(&description), "presign").await?;
    if let Some(url) = answer.as_string() {
        return Ok(Presigned { url, headers: Vec::new() });
    }
    let url = js_sys::Reflect::get(&answer, &"url".into()).ok().and_then(|u| u.as_string());
    let url = url.ok_or_else(|| Error::Credentials {
        message: "the presign callback returned neither a URL nor {url}".into(),
    })?;
    let extra = js_sys::Reflect::get(&answer, &"headers".into()).unwrap_or(JsValue::UNDEFINED);
    let mut headers = Vec::new();
    if extra.is_object() {
        for entry in js_sys::Object::entries(extra.unchecked_ref()).iter() {
            let pair = js_sys::Array::from(&entry);
            if let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                headers.push((name, value));
            }
        }
    }
    Ok(Presigned { url, headers })
}

/// Calls `callback` (with `argument`) and awaits its answer; a failure is described without
/// echoing anything the callback returned.
async fn call(callback: &js_sys::Function, argument: Option<&JsValue>, name: &str) -> Result<JsValue> {
    let failed =
        |value: &JsValue| Error::Credentials { message: format!("the {name} callback failed: {}", describe(value)) };
    let promise = match argument {
        Some(argument) => callback.call1(&JsValue::NULL, argument),
        None => callback.call0(&JsValue::NULL),
    }
    .map_err(|e| failed(&e))?;
    JsFuture::from(js_sys::Promise::resolve(&promise)).await.map_err(|e| failed(&e))
}
