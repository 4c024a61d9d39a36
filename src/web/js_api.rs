//! What crosses between the JS API (`js/index.js`) and the core: `createUploader`'s and `upload`'s
//! options, read and checked; results and events as plain objects; errors as plain objects
//! `{code, status, providerCode, requestId, retryable, message}` that the wrapper turns into
//! `PartwiseError`s.

use super::set;
use crate::actions::{ContentDisposition, CustomerKey, DispositionType, Encryption, ObjectOptions};
use crate::bucket::{Bucket, BucketConfig};
use crate::checksum::Checksum;
use crate::error::Error;
use crate::provider::Provider;
use crate::signing::Scheme;
use crate::upload::retry::{RetryHook, RetryPolicy};
use crate::upload::{Config, Event, Keyring, ObjectSpec, Signing, UploadResult};
use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;

/// What `createUploader`'s options say.
pub(crate) struct UploaderOptions {
    pub bucket: Bucket,
    pub endpoint: String,
    pub signing: Signing,
    pub config: Config,
    pub retry_hook: Option<RetryHook>,
    pub hash_workers: u32,
}

fn get(source: &JsValue, name: &str) -> JsValue {
    Reflect::get(source, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn text(source: &JsValue, name: &'static str) -> Result<Option<String>, Error> {
    let value = get(source, name);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value.as_string().map(Some).ok_or_else(|| Error::invalid(name, "must be a string"))
}

fn number(source: &JsValue, name: &'static str, min: f64, max: f64) -> Result<Option<f64>, Error> {
    let value = get(source, name);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    match value.as_f64() {
        Some(n) if n.fract() == 0.0 && (min..=max).contains(&n) => Ok(Some(n)),
        // The bounds are whole numbers, written as integers so no float formatting ships.
        _ => Err(Error::invalid(name, format!("must be a whole number from {} to {}", min as u64, max as u64))),
    }
}

fn flag(source: &JsValue, name: &'static str) -> Result<Option<bool>, Error> {
    let value = get(source, name);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value.as_bool().map(Some).ok_or_else(|| Error::invalid(name, "must be true or false"))
}

fn string_map(source: &JsValue, name: &'static str) -> Result<Vec<(String, String)>, Error> {
    let value = get(source, name);
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    if !value.is_object() {
        return Err(Error::invalid(name, "must be an object of strings"));
    }
    Object::entries(value.unchecked_ref())
        .iter()
        .map(|entry| {
            let pair = js_sys::Array::from(&entry);
            match (pair.get(0).as_string(), pair.get(1).as_string()) {
                (Some(k), Some(v)) => Ok((k, v)),
                _ => Err(Error::invalid(name, "must be an object of strings")),
            }
        })
        .collect()
}

// The numbers below are checked to be whole and in range before the casts.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub(crate) fn uploader_options(o: &JsValue) -> Result<UploaderOptions, Error> {
    if !o.is_object() {
        return Err(Error::invalid("options", "must be an object"));
    }
    let provider = Provider::from_name(&text(o, "provider")?.unwrap_or_else(|| "s3".into()))?;
    let endpoint = text(o, "endpoint")?.ok_or_else(|| Error::invalid("endpoint", "is required"))?;
    let name = text(o, "bucket")?.ok_or_else(|| Error::invalid("bucket", "is required"))?;
    let region = text(o, "region")?;
    let bucket = Bucket::new(&BucketConfig {
        provider,
        endpoint: &endpoint,
        name: &name,
        region: region.as_deref(),
        path_style: flag(o, "pathStyle")?,
        scheme: text(o, "signature")?
            .map(|name| {
                Scheme::from_name(&name).ok_or_else(|| {
                    Error::invalid("signature", format!("{name:?} is not one of {}", Scheme::NAMES.join(", ")))
                })
            })
            .transpose()?,
    })?;
    let signing = match (get(o, "credentials").dyn_into::<Function>(), get(o, "presign").dyn_into::<Function>()) {
        (Ok(_), Err(_)) => Signing::Credentials(Keyring::default()),
        (Err(_), Ok(_)) => Signing::Presigned,
        _ => {
            return Err(Error::invalid("credentials", "give exactly one of `credentials` and `presign`, as functions"));
        }
    };
    let retry = get(o, "retry");
    let defaults = Config::default();
    let retry = if retry.is_undefined() || retry.is_null() {
        defaults.retry
    } else {
        let d = defaults.retry;
        RetryPolicy {
            attempts: number(&retry, "attempts", 0.0, 100.0)?.map_or(d.attempts, |n| n as u32),
            base_delay_ms: number(&retry, "baseDelayMs", 0.0, 600_000.0)?.map_or(d.base_delay_ms, |n| n as u64),
            max_delay_ms: number(&retry, "maxDelayMs", 0.0, 3_600_000.0)?.map_or(d.max_delay_ms, |n| n as u64),
        }
    };
    let checksum = match text(o, "checksum")?.as_deref() {
        None => defaults.checksum,
        Some(name) => Checksum::parse(name).ok_or_else(|| {
            Error::invalid("checksum", "must be 'md5', 'crc32', 'crc32c', 'crc64nvme', 'sha256' or 'none'")
        })?,
    };
    let config = Config {
        part_size: number(o, "partSize", 1.0, 9_007_199_254_740_991.0)?.map(|n| n as u64),
        concurrency: number(o, "concurrency", 1.0, 64.0)?.map_or(defaults.concurrency, |n| n as usize),
        max_requests: number(o, "maxRequests", 1.0, 64.0)?.map_or(defaults.max_requests, |n| n as usize),
        retry,
        checksum,
        checkpoints: flag(o, "checkpoints")?.unwrap_or(defaults.checkpoints),
        hash_workers: number(o, "hashWorkers", 1.0, 16.0)?.map(|n| n as u32),
        stall_timeout_ms: number(o, "stallTimeoutMs", 1000.0, 3_600_000.0)?
            .map_or(defaults.stall_timeout_ms, |n| n as u64),
        callback_timeout_ms: number(o, "callbackTimeoutMs", 100.0, 3_600_000.0)?
            .map_or(defaults.callback_timeout_ms, |n| n as u64),
        ..defaults
    };
    let retry_hook = match get(&get(o, "retry"), "shouldRetry") {
        hook if hook.is_undefined() || hook.is_null() => None,
        hook => Some(retry_hook(
            hook.dyn_into::<Function>()
                .map_err(|_| Error::invalid("retry.shouldRetry", "must be a function (error, attempt) => boolean"))?,
        )),
    };
    let cores = get(&get(&js_sys::global(), "navigator"), "hardwareConcurrency").as_f64().unwrap_or(2.0);
    Ok(UploaderOptions {
        bucket,
        endpoint,
        signing,
        config,
        retry_hook,
        hash_workers: config.hash_workers(cores as u32),
    })
}

/// The app's `retry.shouldRetry` as the core asks it: `false`, or a throw, stops retrying.
fn retry_hook(hook: Function) -> RetryHook {
    RetryHook::new(move |error, attempt| {
        hook.call2(&JsValue::NULL, &error_object(error), &attempt.into()).is_ok_and(|answer| answer != JsValue::FALSE)
    })
}

pub(crate) fn object_spec(o: &JsValue) -> Result<ObjectSpec, Error> {
    if !o.is_object() {
        return Err(Error::invalid("upload options", "must be an object with a key"));
    }
    let key = text(o, "key")?.ok_or_else(|| Error::invalid("key", "is required"))?;
    let options = ObjectOptions {
        content_type: text(o, "contentType")?,
        content_disposition: content_disposition(o)?,
        cache_control: text(o, "cacheControl")?,
        content_encoding: text(o, "contentEncoding")?,
        expires: http_date(o, "expires")?,
        storage_class: text(o, "storageClass")?,
        acl: text(o, "acl")?,
        tagging: string_map(o, "tagging")?,
        metadata: string_map(o, "metadata")?,
        headers: string_map(o, "headers")?,
        encryption: encryption(o)?,
    };
    Ok(ObjectSpec { key, options })
}

/// `contentDisposition`: a header value, or `{type?: 'attachment' | 'inline', filename}`.
fn content_disposition(o: &JsValue) -> Result<Option<ContentDisposition>, Error> {
    const FIELD: &str = "contentDisposition";
    let value = get(o, FIELD);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    if let Some(value) = value.as_string() {
        return Ok(Some(ContentDisposition::Value(value)));
    }
    let shape = || Error::invalid(FIELD, "must be a string or {type?: 'attachment' | 'inline', filename}");
    if !value.is_object() {
        return Err(shape());
    }
    let kind = match text(&value, "type").map_err(|_| shape())?.as_deref() {
        None | Some("attachment") => DispositionType::Attachment,
        Some("inline") => DispositionType::Inline,
        Some(_) => return Err(shape()),
    };
    let filename = text(&value, "filename").map_err(|_| shape())?.ok_or_else(shape)?;
    Ok(Some(ContentDisposition::File { kind, filename }))
}

/// `encryption`: `{type: 'SSE-S3'}`, `{type: 'SSE-KMS', keyId?, context?}` or
/// `{type: 'SSE-C', key}` (a base64 256-bit key).
fn encryption(o: &JsValue) -> Result<Option<Encryption>, Error> {
    const FIELD: &str = "encryption";
    let value = get(o, FIELD);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let shape = || Error::invalid(FIELD, "must be {type: 'SSE-S3' | 'SSE-KMS' | 'SSE-C', …}");
    if !value.is_object() {
        return Err(shape());
    }
    match text(&value, "type").map_err(|_| shape())?.as_deref() {
        Some("SSE-S3") => Ok(Some(Encryption::Managed)),
        Some("SSE-KMS") => Ok(Some(Encryption::Kms {
            key_id: text(&value, "keyId").map_err(|_| shape())?,
            context: string_map(&value, "context").map_err(|_| shape())?,
        })),
        Some("SSE-C") => {
            let key = text(&value, "key").map_err(|_| shape())?;
            let key = key.ok_or_else(|| Error::invalid(FIELD, "SSE-C needs key, a base64 256-bit key"))?;
            Ok(Some(Encryption::Customer(CustomerKey::from_base64(&key)?)))
        }
        _ => Err(shape()),
    }
}

/// A `Date` (as its HTTP date) or a string.
fn http_date(o: &JsValue, name: &'static str) -> Result<Option<String>, Error> {
    match get(o, name).dyn_ref::<js_sys::Date>() {
        Some(date) if date.get_time().is_nan() => Err(Error::invalid(name, "is an invalid Date")),
        // `toUTCString` is the IMF-fixdate of RFC 9110: `Wed, 21 Oct 2026 07:28:00 GMT`.
        Some(date) => Ok(Some(String::from(date.to_utc_string()))),
        None => text(o, name).map_err(|_| Error::invalid(name, "must be a Date or an HTTP date string")),
    }
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
