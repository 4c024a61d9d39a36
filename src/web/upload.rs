//! The first end-to-end path: one file, parts one after another, Content-MD5 on each.

use super::{js_error, now, send};
use crate::actions::{
    CompleteMultipartUpload, CompletedPart, CreateMultipartUpload, ObjectOptions, PutObject, UploadPart,
};
use crate::bucket::{Bucket, BucketConfig};
use crate::error::{Error, Result};
use crate::hash::{encode_md5, md5};
use crate::http::Request;
use crate::plan::PartPlan;
use crate::provider::Provider;
use crate::signing::{Auth, Credentials};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Uploads `file` to `key` and returns the object's ETag. Files that fit in one part go up with
/// PutObject; larger ones as a multipart upload in `part_size` parts (the planner's choice if
/// `None`), each with its Content-MD5.
///
/// # Errors
/// Whatever the service or the network answers, as an [`Error`].
pub async fn upload_file(
    bucket: &Bucket,
    credentials: &Credentials,
    key: &str,
    file: &web_sys::Blob,
    part_size: Option<u64>,
) -> Result<String> {
    let profile = bucket.profile();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    // Blob sizes are whole, non-negative
    let size = file.size() as u64;
    let plan = PartPlan::new(size, &profile.limits, part_size, profile.default_part_size)?;
    let signed_send = |request: Request| async move {
        let signed = bucket.sign(&request, credentials, now()?, Auth::Header)?;
        send(&signed, Some(file)).await
    };
    if plan.is_single() {
        let put = PutObject {
            key: key.to_owned(),
            size,
            content_md5: Some(encode_md5(&md5(&read(file, 0, size).await?), profile.content_md5)),
            options: ObjectOptions::default(),
        };
        return PutObject::parse(&signed_send(put.request(profile)?).await?, profile);
    }
    let create = CreateMultipartUpload { key: key.to_owned(), options: ObjectOptions::default() };
    let upload_id = CreateMultipartUpload::parse(&signed_send(create.request(profile)?).await?, profile)?.upload_id;
    let mut parts = Vec::new();
    for spec in plan.parts() {
        let part = UploadPart {
            key: key.to_owned(),
            upload_id: upload_id.clone(),
            part_number: spec.number,
            offset: spec.offset,
            size: spec.size,
            content_md5: Some(encode_md5(&md5(&read(file, spec.offset, spec.size).await?), profile.content_md5)),
        };
        let etag = UploadPart::parse(&signed_send(part.request(profile)?).await?, profile)?;
        parts.push(CompletedPart { part_number: spec.number, etag });
    }
    let complete = CompleteMultipartUpload { key: key.to_owned(), upload_id, parts };
    let done = CompleteMultipartUpload::parse(&signed_send(complete.request(profile)?).await?, profile)?;
    Ok(done.etag)
}

/// Reads `len` bytes of `file` from `offset`.
async fn read(file: &web_sys::Blob, offset: u64, len: u64) -> Result<Vec<u8>> {
    #[allow(clippy::cast_precision_loss)] // Blob offsets stay below 2^53
    let slice = file.slice_with_f64_and_f64(offset as f64, (offset + len) as f64).map_err(|e| js_error(&e))?;
    let buffer = JsFuture::from(slice.array_buffer()).await.map_err(|e| js_error(&e))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// JS entry point of [`upload_file`]: `uploadFile({provider, endpoint, bucket, region,
/// accessKeyId, secretAccessKey, sessionToken, key, partSize}, file)` resolves to the ETag.
///
/// # Errors
/// Rejects with an `Error` whose message explains the failure.
#[wasm_bindgen(js_name = uploadFile)]
pub async fn upload_file_js(options: JsValue, file: web_sys::Blob) -> std::result::Result<String, JsError> {
    let text = |name: &str| js_sys::Reflect::get(&options, &JsValue::from_str(name)).ok().and_then(|v| v.as_string());
    let required = |name: &'static str| text(name).ok_or_else(|| Error::invalid(name, "is required"));
    let run = async {
        let provider = Provider::from_name(&text("provider").unwrap_or_else(|| "s3".into()))?;
        let (endpoint, name) = (required("endpoint")?, required("bucket")?);
        let region = text("region");
        let bucket = Bucket::new(&BucketConfig {
            provider,
            endpoint: &endpoint,
            name: &name,
            region: region.as_deref(),
            path_style: None,
            scheme: None,
        })?;
        let credentials =
            Credentials::new(required("accessKeyId")?, required("secretAccessKey")?, text("sessionToken"));
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let part_size = js_sys::Reflect::get(&options, &JsValue::from_str("partSize"))
            .ok()
            .and_then(|v| v.as_f64())
            .filter(|v| *v >= 1.0)
            .map(|v| v as u64);
        upload_file(&bucket, &credentials, &required("key")?, &file, part_size).await
    };
    run.await.map_err(|e| JsError::new(&e.to_string()))
}
