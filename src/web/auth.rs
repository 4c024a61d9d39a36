//! The app's two callbacks, called when the core asks: `credentials({signal})` for temporary keys
//! and `presign(request, {signal})` for one presigned request. What they answer goes back to the
//! core as data; when to call them, to give up on a call (its `signal` aborts) or to call again is
//! the core's decision. One `credentials` call at a time serves every machine of an uploader that
//! asks meanwhile.

use super::errors::{browser_error, describe};
use super::set;
use crate::actions::Operation;
use crate::bucket::Bucket;
use crate::error::{Error, Result};
use crate::http::Request;
use crate::signing::Credentials;
use crate::timestamp::Timestamp;
use crate::upload::{FetchedCredentials, Keyring, Presigned, Signing};
use futures::future::{FutureExt, LocalBoxFuture, Shared};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// The app's source of signatures.
#[derive(Clone, Debug)]
pub enum Signer {
    /// `credentials: ({signal}) => Promise<{accessKeyId, secretAccessKey, sessionToken?, expiration?}>`.
    Credentials(js_sys::Function),
    /// `presign: (request, {signal}) => Promise<string | {url, headers}>`.
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

/// Aborts a callback's `signal` when the future awaiting the callback is dropped unanswered (the
/// core cancelled the call: a timeout, a pause, an abort, or the uploader was disposed).
pub(crate) struct AbortUnanswered(Option<web_sys::AbortController>);

impl AbortUnanswered {
    /// Guards `controller`.
    pub(crate) fn new(controller: web_sys::AbortController) -> Self {
        AbortUnanswered(Some(controller))
    }

    /// The call answered: its signal is left alone.
    pub(crate) fn answered(&mut self) {
        self.0 = None;
    }
}

impl Drop for AbortUnanswered {
    fn drop(&mut self) {
        if let Some(controller) = self.0.take() {
            controller.abort();
        }
    }
}

/// The answer of the app's `credentials` call, shared by every machine that waits for it.
pub(crate) type CredentialsAnswer = Shared<LocalBoxFuture<'static, Result<FetchedCredentials>>>;

/// The app's `credentials` call in progress: its answer, shared by every machine that asks
/// meanwhile, and its `signal`, aborted once every machine that asked has given up on it.
pub(crate) struct CredentialsCall {
    answer: CredentialsAnswer,
    controller: web_sys::AbortController,
    waiting: Rc<Cell<usize>>,
}

/// One machine's wait for the shared credentials call. Dropped unanswered (the core cancelled
/// the call), it withdraws; the last to withdraw aborts the callback's signal.
pub(crate) struct CredentialsWait {
    guard: Option<AbortUnanswered>,
    waiting: Rc<Cell<usize>>,
}

impl CredentialsWait {
    /// The call answered: nothing is aborted.
    pub(crate) fn answered(&mut self) {
        if let Some(guard) = self.guard.as_mut() {
            guard.answered();
        }
    }
}

impl Drop for CredentialsWait {
    fn drop(&mut self) {
        self.waiting.set(self.waiting.get().saturating_sub(1));
        // Another machine still waits for the call: it goes on.
        if self.waiting.get() > 0
            && let Some(mut guard) = self.guard.take()
        {
            guard.answered();
        }
    }
}

/// The app's credentials: the call in progress in `pending` while it is unanswered and not aborted,
/// else a new call of `signer`'s callback, which goes in `pending`.
pub(crate) fn shared_credentials(
    pending: &mut Option<CredentialsCall>,
    signer: &Signer,
) -> Result<(CredentialsAnswer, CredentialsWait)> {
    if let Some(call) = pending.as_ref()
        && call.answer.peek().is_none()
        && !call.controller.signal().aborted()
    {
        call.waiting.set(call.waiting.get() + 1);
        let wait = CredentialsWait {
            guard: Some(AbortUnanswered::new(call.controller.clone())),
            waiting: call.waiting.clone(),
        };
        return Ok((call.answer.clone(), wait));
    }
    let Signer::Credentials(callback) = signer else {
        return Err(Error::unusable("this uploader presigns; it has no credentials callback"));
    };
    let controller = web_sys::AbortController::new().map_err(|e| browser_error(&e))?;
    let answer = fetch_credentials(callback.clone(), controller.signal()).boxed_local().shared();
    let waiting = Rc::new(Cell::new(1));
    let wait = CredentialsWait { guard: Some(AbortUnanswered::new(controller.clone())), waiting: waiting.clone() };
    *pending = Some(CredentialsCall { answer: answer.clone(), controller, waiting });
    Ok((answer, wait))
}

/// Calls the app's `credentials` callback with `signal`.
///
/// # Errors
/// [`Error::Credentials`]: retryable when it throws or rejects (unless the error says
/// `retryable: false`), not when it answers without keys.
pub(crate) async fn fetch_credentials(
    callback: js_sys::Function,
    signal: web_sys::AbortSignal,
) -> Result<FetchedCredentials> {
    let failed = |what: &str| Error::unusable(format!("the credentials callback {what}"));
    let value = call(&callback, None, &signal, "credentials").await?;
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

/// Asks the app's `presign` callback to presign `request`; the callback's `signal` aborts when the
/// core cancels the call.
///
/// # Errors
/// [`Error::Credentials`]: retryable when it throws or rejects (unless the error says
/// `retryable: false`), not when it answers without a URL.
pub(crate) async fn presign(
    callback: js_sys::Function,
    bucket: &Bucket,
    operation: Operation,
    request: &Request,
) -> Result<Presigned> {
    let controller = web_sys::AbortController::new().map_err(|e| browser_error(&e))?;
    let mut guard = AbortUnanswered::new(controller.clone());
    let answer = presign_with(callback, bucket, operation, request, &controller.signal()).await;
    guard.answered();
    answer
}

/// The presign call itself, its `signal` given.
async fn presign_with(
    callback: js_sys::Function,
    bucket: &Bucket,
    operation: Operation,
    request: &Request,
    signal: &web_sys::AbortSignal,
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
            "partNumber" => set(&description, "partNumber", &value.parse::<u16>().map_or(JsValue::NULL, JsValue::from)),
            _ => {}
        }
    }
    set(&description, "query", &query);
    let headers = js_sys::Object::new();
    for (name, value) in &request.headers {
        set(&headers, name, &value.as_str().into());
    }
    set(&description, "headers", &headers);
    let answer = call(&callback, Some(&description), signal, "presign").await?;
    if let Some(url) = answer.as_string() {
        return Ok(Presigned { url, headers: Vec::new() });
    }
    let url = js_sys::Reflect::get(&answer, &"url".into()).ok().and_then(|u| u.as_string());
    let url = url.ok_or_else(|| Error::unusable("the presign callback returned neither a URL nor {url}"))?;
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

/// Calls `callback` (with `argument`, then `{signal}`) and awaits its answer; a failure is
/// described without echoing anything the callback returned, and retryable unless the thrown
/// value says `retryable: false`.
async fn call(
    callback: &js_sys::Function,
    argument: Option<&JsValue>,
    signal: &web_sys::AbortSignal,
    name: &str,
) -> Result<JsValue> {
    let failed = |value: &JsValue| {
        let says_final =
            value.is_object() && js_sys::Reflect::get(value, &"retryable".into()).ok() == Some(JsValue::FALSE);
        Error::Credentials {
            message: format!("the {name} callback failed: {}", describe(value)),
            retryable: !says_final,
        }
    };
    let options = js_sys::Object::new();
    set(&options, "signal", signal);
    let promise = match argument {
        Some(argument) => callback.call2(&JsValue::NULL, argument, &options),
        None => callback.call1(&JsValue::NULL, &options),
    }
    .map_err(|e| failed(&e))?;
    JsFuture::from(js_sys::Promise::resolve(&promise)).await.map_err(|e| failed(&e))
}
