//! How requests get their signature: temporary credentials from the app (signed here, refreshed
//! before expiry, one refresh shared by every request in flight) or presigned by the app's backend.

use super::{js_error, set};
use crate::bucket::{Bucket, SignedRequest};
use crate::error::{Error, Result};
use crate::http::Request;
use crate::upload::retry::refresh_due;
use crate::signing::{Auth, Credentials};
use crate::timestamp::Timestamp;
use futures::future::{FutureExt, LocalBoxFuture, Shared};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// What each operation is called in the `presign` callback's request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// InitiateMultipartUpload.
    CreateMultipartUpload,
    /// UploadPart.
    UploadPart,
    /// CompleteMultipartUpload.
    CompleteMultipartUpload,
    /// AbortMultipartUpload.
    AbortMultipartUpload,
    /// ListParts.
    ListParts,
    /// ListMultipartUploads.
    ListMultipartUploads,
    /// PutObject.
    PutObject,
}

impl Operation {
    /// The name the `presign` callback sees.
    pub fn name(self) -> &'static str {
        match self {
            Operation::CreateMultipartUpload => "createMultipartUpload",
            Operation::UploadPart => "uploadPart",
            Operation::CompleteMultipartUpload => "completeMultipartUpload",
            Operation::AbortMultipartUpload => "abortMultipartUpload",
            Operation::ListParts => "listParts",
            Operation::ListMultipartUploads => "listMultipartUploads",
            Operation::PutObject => "putObject",
        }
    }
}

#[derive(Clone)]
struct Cached {
    credentials: Credentials,
    fetched: Timestamp,
    expiration: Option<Timestamp>,
}

type Refresh = Shared<LocalBoxFuture<'static, std::result::Result<Cached, Error>>>;

/// The source of signatures for one uploader.
pub struct Signer(Source);

enum Source {
    /// `credentials: () => Promise<{accessKeyId, secretAccessKey, sessionToken?, expiration?}>`:
    /// the credentials in use and the refresh in progress, shared by every request waiting for it.
    Credentials { provider: js_sys::Function, cached: RefCell<Option<Cached>>, pending: RefCell<Option<Refresh>> },
    /// `presign: (request) => Promise<string | {url, headers}>`.
    Presign(js_sys::Function),
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Source::Credentials { .. } => "Signer::Credentials",
            Source::Presign(_) => "Signer::Presign",
        })
    }
}

impl Signer {
    /// Signs in the browser with the credentials `provider` resolves to.
    pub fn credentials(provider: js_sys::Function) -> Self {
        Signer(Source::Credentials { provider, cached: RefCell::new(None), pending: RefCell::new(None) })
    }

    /// Has every request presigned by `callback` (the app's backend).
    pub fn presign(callback: js_sys::Function) -> Self {
        Signer(Source::Presign(callback))
    }

    /// Whether the credentials are temporary (they carry a session token).
    pub fn is_temporary(&self) -> bool {
        match &self.0 {
            Source::Credentials { cached, .. } => {
                cached.borrow().as_ref().is_some_and(|c| c.credentials.token().is_some())
            }
            Source::Presign(_) => true,
        }
    }

    /// Forgets credentials the service called expired, unless a newer set already replaced them.
    pub fn expire(&self, access_key_id: Option<&str>) {
        if let Source::Credentials { cached, .. } = &self.0 {
            let mut cached = cached.borrow_mut();
            if access_key_id.is_none() || cached.as_ref().map(|c| c.credentials.access_key_id()) == access_key_id {
                *cached = None;
            }
        }
    }

    /// `request` ready to send at `time`: signed here, or presigned by the app's backend.
    /// Returns the access key id that signed it, if signed here.
    ///
    /// # Errors
    /// [`Error::Credentials`] when the callback rejects or returns something unusable.
    pub async fn prepare(
        &self,
        bucket: &Bucket,
        operation: Operation,
        request: &Request,
        time: Timestamp,
    ) -> Result<(SignedRequest, Option<String>)> {
        match &self.0 {
            Source::Credentials { .. } => {
                let credentials = self.current(time).await?;
                let signed = bucket.sign(request, &credentials, time, Auth::Header)?;
                Ok((signed, Some(credentials.access_key_id().to_owned())))
            }
            Source::Presign(callback) => Ok((presign(callback, bucket, operation, request).await?, None)),
        }
    }

    async fn current(&self, now: Timestamp) -> Result<Credentials> {
        let Source::Credentials { provider, cached, pending } = &self.0 else {
            return Err(Error::Credentials { message: "no credentials callback".into() });
        };
        if let Some(c) = cached.borrow().as_ref().filter(|c| !refresh_due(c.fetched, c.expiration, now)) {
            return Ok(c.credentials.clone());
        }
        let refresh = pending.borrow().clone();
        let refresh = match refresh {
            Some(refresh) => refresh,
            None => {
                let refresh = fetch_credentials(provider.clone(), now).boxed_local().shared();
                *pending.borrow_mut() = Some(refresh.clone());
                refresh
            }
        };
        let outcome = refresh.await;
        *pending.borrow_mut() = None;
        let fresh = outcome?;
        *cached.borrow_mut() = Some(fresh.clone());
        Ok(fresh.credentials)
    }
}

async fn fetch_credentials(provider: js_sys::Function, now: Timestamp) -> Result<Cached> {
    let failed = |what: &str| Error::Credentials { message: format!("the credentials callback {what}") };
    let promise = provider.call0(&JsValue::NULL).map_err(|e| callback_error("credentials", &e))?;
    let value =
        JsFuture::from(js_sys::Promise::resolve(&promise)).await.map_err(|e| callback_error("credentials", &e))?;
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
    Ok(Cached { credentials: Credentials::new(access, secret, text("sessionToken")), fetched: now, expiration })
}

/// Asks the app's backend to presign `request`.
async fn presign(
    callback: &js_sys::Function,
    bucket: &Bucket,
    operation: Operation,
    request: &Request,
) -> Result<SignedRequest> {
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
    let promise = callback.call1(&JsValue::NULL, &description).map_err(|e| callback_error("presign", &e))?;
    let answer = JsFuture::from(js_sys::Promise::resolve(&promise)).await.map_err(|e| callback_error("presign", &e))?;
    let (url, extra) = match answer.as_string() {
        Some(url) => (url, JsValue::UNDEFINED),
        None => (
            js_sys::Reflect::get(&answer, &"url".into()).ok().and_then(|u| u.as_string()).ok_or_else(|| {
                Error::Credentials { message: "the presign callback returned neither a URL nor {url}".into() }
            })?,
            js_sys::Reflect::get(&answer, &"headers".into()).unwrap_or(JsValue::UNDEFINED),
        ),
    };
    let mut headers = request.headers.clone();
    if extra.is_object() {
        for entry in js_sys::Object::entries(extra.unchecked_ref()).iter() {
            let pair = js_sys::Array::from(&entry);
            if let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
                headers.push((name, value));
            }
        }
    }
    Ok(SignedRequest { method: request.method, url, headers, body: request.body.clone() })
}

/// A callback failure in words, without echoing anything the callback returned.
fn callback_error(callback: &str, value: &JsValue) -> Error {
    let detail = match js_error(value) {
        Error::Network { message } => message,
        other => other.to_string(),
    };
    Error::Credentials { message: format!("the {callback} callback failed: {detail}") }
}
