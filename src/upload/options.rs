//! `createUploader`'s and `upload`'s options as the JS API hands them over — JSON text, the app's
//! callbacks left out (the wrapper checks and keeps those), a `Date` written as its HTTP date and a
//! number JSON cannot hold (NaN, ±Infinity, a BigInt) as a string — read and checked here.

use super::{Config, ObjectSpec};
use crate::actions::{ContentDisposition, CustomerKey, DispositionType, Encryption, ObjectOptions};
use crate::bucket::{Bucket, BucketConfig};
use crate::checksum::Checksum;
use crate::error::{Error, Result};
use crate::json::{self, Value};
use crate::provider::Provider;
use crate::signing::Scheme;
use crate::upload::retry::RetryPolicy;

/// What `createUploader`'s options say, callbacks aside.
#[derive(Debug)]
pub struct UploaderOptions {
    /// The bucket.
    pub bucket: Bucket,
    /// The endpoint as given.
    pub endpoint: String,
    /// How uploads run.
    pub config: Config,
}

/// The whole options object (JSON `null` fields count as left out).
fn object(json: &str, name: &'static str) -> Result<Value> {
    json::parse(json)
        .filter(|value| matches!(value, Value::Object(_)))
        .ok_or_else(|| Error::invalid(name, "must be an object"))
}

/// Field `name`, unless it is missing or `null`.
fn get<'a>(source: &'a Value, name: &str) -> Option<&'a Value> {
    source.field(name).filter(|value| **value != Value::Null)
}

fn text(source: &Value, name: &'static str) -> Result<Option<String>> {
    get(source, name)
        .map(|value| value.as_str().map(str::to_owned).ok_or_else(|| Error::invalid(name, "must be a string")))
        .transpose()
}

fn number(source: &Value, name: &'static str, min: u64, max: u64) -> Result<Option<u64>> {
    get(source, name)
        .map(|value| {
            value
                .as_integer::<u64>()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| Error::invalid(name, format!("must be a whole number from {min} to {max}")))
        })
        .transpose()
}

fn flag(source: &Value, name: &'static str) -> Result<Option<bool>> {
    get(source, name)
        .map(|value| match value {
            Value::Bool(b) => Ok(*b),
            _ => Err(Error::invalid(name, "must be true or false")),
        })
        .transpose()
}

fn string_map(source: &Value, name: &'static str) -> Result<Vec<(String, String)>> {
    match get(source, name) {
        None => Ok(Vec::new()),
        Some(Value::Object(fields)) => fields
            .iter()
            .map(|(key, value)| match value {
                Value::String(value) => Ok((key.clone(), value.clone())),
                _ => Err(Error::invalid(name, "must be an object of strings")),
            })
            .collect(),
        Some(_) => Err(Error::invalid(name, "must be an object of strings")),
    }
}

// The numbers below are checked to be in range before the casts.
#[allow(clippy::cast_possible_truncation)]
impl UploaderOptions {
    /// Reads `createUploader`'s options.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the first bad option.
    pub fn from_json(json: &str) -> Result<Self> {
        let o = &object(json, "options")?;
        let provider = Provider::from_name(&text(o, "provider")?.unwrap_or_else(|| "s3".into()))?;
        let endpoint = text(o, "endpoint")?.ok_or_else(|| Error::invalid("endpoint", "is required"))?;
        let name = text(o, "bucket")?.ok_or_else(|| Error::invalid("bucket", "is required"))?;
        let region = text(o, "region")?;
        let scheme = text(o, "signature")?
            .map(|name| {
                Scheme::from_name(&name).ok_or_else(|| {
                    Error::invalid("signature", format!("\"{name}\" is not one of {}", Scheme::NAMES.join(", ")))
                })
            })
            .transpose()?;
        let bucket = Bucket::new(&BucketConfig {
            provider,
            endpoint: &endpoint,
            name: &name,
            region: region.as_deref(),
            path_style: flag(o, "pathStyle")?,
            scheme,
        })?;
        let defaults = Config::default();
        let retry = match get(o, "retry") {
            None => defaults.retry,
            Some(retry) => {
                if get(retry, "shouldRetry").is_some() {
                    return Err(Error::invalid("retry.shouldRetry", "must be a function (error, attempt) => boolean"));
                }
                let d = defaults.retry;
                RetryPolicy {
                    attempts: number(retry, "attempts", 0, 100)?.map_or(d.attempts, |n| n as u32),
                    base_delay_ms: number(retry, "baseDelayMs", 0, 600_000)?.unwrap_or(d.base_delay_ms),
                    max_delay_ms: number(retry, "maxDelayMs", 0, 3_600_000)?.unwrap_or(d.max_delay_ms),
                }
            }
        };
        let checksum = match text(o, "checksum")?.as_deref() {
            None => defaults.checksum,
            Some(name) => Checksum::parse(name).ok_or_else(|| {
                Error::invalid("checksum", "must be 'md5', 'crc32', 'crc32c', 'crc64nvme', 'sha256' or 'none'")
            })?,
        };
        let config = Config {
            part_size: number(o, "partSize", 1, 9_007_199_254_740_991)?,
            concurrency: number(o, "concurrency", 1, 64)?.map_or(defaults.concurrency, |n| n as usize),
            max_requests: number(o, "maxRequests", 1, 64)?.map_or(defaults.max_requests, |n| n as usize),
            retry,
            checksum,
            checkpoints: flag(o, "checkpoints")?.unwrap_or(defaults.checkpoints),
            hash_workers: number(o, "hashWorkers", 1, 16)?.map(|n| n as u32),
            stall_timeout_ms: number(o, "stallTimeoutMs", 1000, 3_600_000)?.unwrap_or(defaults.stall_timeout_ms),
            callback_timeout_ms: number(o, "callbackTimeoutMs", 100, 3_600_000)?
                .unwrap_or(defaults.callback_timeout_ms),
            ..defaults
        };
        Ok(UploaderOptions { bucket, endpoint, config })
    }
}

impl ObjectSpec {
    /// Reads `upload`'s options: `{key, contentType?, …}`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the first bad option.
    pub fn from_json(json: &str) -> Result<Self> {
        let o = &object(json, "upload options")?;
        let key = text(o, "key")?.ok_or_else(|| Error::invalid("key", "is required"))?;
        let options = ObjectOptions {
            content_type: text(o, "contentType")?,
            content_disposition: content_disposition(o)?,
            cache_control: text(o, "cacheControl")?,
            content_encoding: text(o, "contentEncoding")?,
            expires: http_date(o)?,
            storage_class: text(o, "storageClass")?,
            acl: text(o, "acl")?,
            tagging: string_map(o, "tagging")?,
            metadata: string_map(o, "metadata")?,
            headers: string_map(o, "headers")?,
            encryption: encryption(o)?,
        };
        Ok(ObjectSpec { key, options })
    }
}

/// `contentDisposition`: a header value, or `{type?: 'attachment' | 'inline', filename}`.
fn content_disposition(o: &Value) -> Result<Option<ContentDisposition>> {
    const FIELD: &str = "contentDisposition";
    let shape = || Error::invalid(FIELD, "must be a string or {type?: 'attachment' | 'inline', filename}");
    let value = match get(o, FIELD) {
        None => return Ok(None),
        Some(Value::String(value)) => return Ok(Some(ContentDisposition::Value(value.clone()))),
        Some(value @ Value::Object(_)) => value,
        Some(_) => return Err(shape()),
    };
    let kind = match text(value, "type").map_err(|_| shape())?.as_deref() {
        None | Some("attachment") => DispositionType::Attachment,
        Some("inline") => DispositionType::Inline,
        Some(_) => return Err(shape()),
    };
    let filename = text(value, "filename").map_err(|_| shape())?.ok_or_else(shape)?;
    Ok(Some(ContentDisposition::File { kind, filename }))
}

/// `encryption`: `{type: 'SSE-S3'}`, `{type: 'SSE-KMS', keyId?, context?}` or
/// `{type: 'SSE-C', key}` (a base64 256-bit key).
fn encryption(o: &Value) -> Result<Option<Encryption>> {
    const FIELD: &str = "encryption";
    let shape = || Error::invalid(FIELD, "must be {type: 'SSE-S3' | 'SSE-KMS' | 'SSE-C', …}");
    let value = match get(o, FIELD) {
        None => return Ok(None),
        Some(value @ Value::Object(_)) => value,
        Some(_) => return Err(shape()),
    };
    match text(value, "type").map_err(|_| shape())?.as_deref() {
        Some("SSE-S3") => Ok(Some(Encryption::Managed)),
        Some("SSE-KMS") => Ok(Some(Encryption::Kms {
            key_id: text(value, "keyId").map_err(|_| shape())?,
            context: string_map(value, "context").map_err(|_| shape())?,
        })),
        Some("SSE-C") => {
            let key = text(value, "key").map_err(|_| shape())?;
            let key = key.ok_or_else(|| Error::invalid(FIELD, "SSE-C needs key, a base64 256-bit key"))?;
            Ok(Some(Encryption::Customer(CustomerKey::from_base64(&key)?)))
        }
        _ => Err(shape()),
    }
}

/// `expires`: a `Date`, which the wrapper writes as its HTTP date (`Invalid Date` for an invalid
/// one), or a string.
fn http_date(o: &Value) -> Result<Option<String>> {
    const FIELD: &str = "expires";
    match text(o, FIELD).map_err(|_| Error::invalid(FIELD, "must be a Date or an HTTP date string"))? {
        Some(date) if date == "Invalid Date" => Err(Error::invalid(FIELD, "is an invalid Date")),
        date => Ok(date),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uploader(json: &str) -> Result<UploaderOptions> {
        UploaderOptions::from_json(json)
    }

    fn message(result: Result<impl std::fmt::Debug>) -> String {
        result.expect_err("refused").to_string()
    }

    const BASE: &str = r#""endpoint": "https://s3.us-east-1.amazonaws.com", "bucket": "bucket", "region": "us-east-1""#;

    #[test]
    fn defaults_and_given_values() {
        let o = uploader(&format!("{{{BASE}, \"pathStyle\": null}}")).expect("reads");
        assert_eq!(o.config, Config::default());
        assert_eq!(o.endpoint, "https://s3.us-east-1.amazonaws.com");
        let o = uploader(&format!(
            r#"{{{BASE}, "partSize": 8388608, "concurrency": 2, "checkpoints": false,
            "checksum": "crc32", "retry": {{"attempts": 0, "maxDelayMs": 10}}, "hashWorkers": 3, "extra": [1]}}"#
        ))
        .expect("reads");
        assert_eq!(o.config.part_size, Some(8_388_608));
        assert_eq!((o.config.concurrency, o.config.checkpoints, o.config.hash_workers), (2, false, Some(3)));
        assert_eq!((o.config.retry.attempts, o.config.retry.max_delay_ms), (0, 10));
        assert_eq!(o.config.retry.base_delay_ms, Config::default().retry.base_delay_ms);
    }

    #[test]
    fn bad_options_name_the_option() {
        for (json, expected) in [
            ("[]".to_owned(), "invalid options: must be an object"),
            ("not json".to_owned(), "invalid options: must be an object"),
            (r#"{"bucket": "bucket"}"#.to_owned(), "invalid endpoint: is required"),
            (format!(r#"{{{BASE}, "partSize": 1.5}}"#), "invalid partSize: must be a whole number from 1 to"),
            (
                format!(r#"{{{BASE}, "concurrency": "NaN"}}"#),
                "invalid concurrency: must be a whole number from 1 to 64",
            ),
            (format!(r#"{{{BASE}, "concurrency": 65}}"#), "invalid concurrency: must be a whole number from 1 to 64"),
            (format!(r#"{{{BASE}, "checkpoints": 1}}"#), "invalid checkpoints: must be true or false"),
            (format!(r#"{{{BASE}, "signature": "v9"}}"#), "invalid signature: \"v9\" is not one of"),
            (
                format!(r#"{{{BASE}, "retry": {{"shouldRetry": true}}}}"#),
                "invalid retry.shouldRetry: must be a function",
            ),
            (format!(r#"{{{BASE}, "checksum": "crc"}}"#), "invalid checksum: must be 'md5'"),
        ] {
            let got = message(uploader(&json));
            assert!(got.starts_with(expected), "{json}: {got}");
        }
    }

    #[test]
    fn object_options() {
        let spec = ObjectSpec::from_json(
            r#"{"key": "k", "contentType": "text/plain", "expires": "Wed, 21 Oct 2026 07:28:00 GMT",
            "metadata": {"a": "1"}, "contentDisposition": {"type": "inline", "filename": "f.txt"},
            "encryption": {"type": "SSE-KMS", "keyId": "k1", "context": {"c": "d"}}}"#,
        )
        .expect("reads");
        assert_eq!(spec.key, "k");
        assert_eq!(spec.options.content_type.as_deref(), Some("text/plain"));
        assert_eq!(spec.options.expires.as_deref(), Some("Wed, 21 Oct 2026 07:28:00 GMT"));
        assert_eq!(spec.options.metadata, [("a".to_owned(), "1".to_owned())]);
        assert!(matches!(spec.options.encryption, Some(Encryption::Kms { .. })));
        for (json, expected) in [
            (r#"{}"#, "invalid key: is required"),
            (r#"{"key": "k", "expires": "Invalid Date"}"#, "invalid expires: is an invalid Date"),
            (r#"{"key": "k", "expires": 5}"#, "invalid expires: must be a Date or an HTTP date string"),
            (r#"{"key": "k", "metadata": {"a": 1}}"#, "invalid metadata: must be an object of strings"),
            (r#"{"key": "k", "contentDisposition": {"type": "x", "filename": "f"}}"#, "invalid contentDisposition"),
            (r#"{"key": "k", "encryption": {"type": "SSE-C"}}"#, "invalid encryption: SSE-C needs key"),
            (r#"{"key": "k", "encryption": "SSE-S3"}"#, "invalid encryption: must be {type"),
        ] {
            let got = message(ObjectSpec::from_json(json));
            assert!(got.starts_with(expected), "{json}: {got}");
        }
    }
}
