//! Browser tests: headless Chromium, the wasm module, and a real SeaweedFS started by
//! `scripts/test.sh`, which passes its address and development keys in at compile time.
#![cfg(target_arch = "wasm32")]

use partwise::actions::*;
use partwise::checksum::ChecksumAlgorithm;
use partwise::hash::{encode_md5, etag_matches_md5, md5};
use partwise::http::{Request, Response};
use partwise::plan::PartPlan;
use partwise::{Auth, Bucket, Credentials, Error, Provider};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

mod common;
use common::{MIB, bucket, bytes, credentials, good_credentials, now, read_object, send};

wasm_bindgen_test_configure!(run_in_browser);

fn blob(data: &[u8]) -> web_sys::Blob {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(data));
    web_sys::Blob::new_with_u8_array_sequence(&parts).expect("blob")
}

fn unique_key(name: &str) -> String {
    format!("spine/{} {name} ü+%.bin", js_sys::Date::now())
}

async fn call(bucket: &Bucket, creds: &Credentials, request: &Request, file: Option<&web_sys::Blob>) -> Response {
    let signed = bucket.sign(request, creds, now(), Auth::Header).expect("signed");
    send(&signed, file).await
}

/// Starts a multipart upload and returns its id.
async fn initiate(bucket: &Bucket, creds: &Credentials, key: &str) -> String {
    let create = CreateMultipartUpload { key: key.to_owned(), options: ObjectOptions::default() };
    let answer = call(bucket, creds, &create.request(bucket.profile()).expect("request"), None).await;
    CreateMultipartUpload::parse(&answer, bucket.profile()).expect("initiated").upload_id
}

/// An UploadPart of `size` bytes at `offset`, whose Content-MD5 is that of `md5_of`.
fn part(key: &str, upload_id: &str, number: u16, offset: u64, size: u64, md5_of: &[u8]) -> UploadPart {
    UploadPart {
        key: key.to_owned(),
        upload_id: upload_id.to_owned(),
        part_number: number,
        offset,
        size,
        content_md5: Some(encode_md5(&md5(md5_of), Provider::S3.profile().content_md5)),
    }
}

/// Sends a request built by `request` and reads the answer with `parse`.
async fn run<T>(
    bucket: &Bucket,
    request: Result<Request, Error>,
    file: Option<&web_sys::Blob>,
    parse: fn(&Response, &partwise::Profile) -> Result<T, Error>,
) -> Result<T, Error> {
    let answer = call(bucket, &good_credentials(), &request.expect("request"), file).await;
    parse(&answer, bucket.profile())
}

#[wasm_bindgen_test]
async fn multipart_round_trip_with_header_signing() {
    let (bucket, creds) = (bucket(), good_credentials());
    let profile = bucket.profile();
    let data = bytes(5 * MIB + 1234, 7);
    let file = blob(&data);
    let key = unique_key("round trip");
    let upload_id = initiate(&bucket, &creds, &key).await;

    let plan =
        PartPlan::new(data.len() as u64, &profile.limits, Some(5 * MIB), profile.default_part_size).expect("plan");
    assert_eq!(plan.count, 2);
    let mut parts = Vec::new();
    for spec in plan.parts() {
        let bytes = &data[spec.offset as usize..(spec.offset + spec.size) as usize];
        let upload = part(&key, &upload_id, spec.number, spec.offset, spec.size, bytes);
        let etag = run(&bucket, upload.request(profile), Some(&file), UploadPart::parse).await.expect("part stored");
        assert!(etag_matches_md5(&etag, &md5(bytes)), "ETag {etag} is the part's MD5");
        parts.push(CompletedPart { part_number: spec.number, etag, checksum: None });
    }

    let list =
        ListParts { key: key.clone(), upload_id: upload_id.clone(), max_parts: Some(1), part_number_marker: None };
    let first = run(&bucket, list.request(profile), None, ListParts::parse).await.expect("page 1");
    let next = list.next(&first).expect("markers").expect("a second page");
    let second = run(&bucket, next.request(profile), None, ListParts::parse).await.expect("page 2");
    let listed: Vec<(u16, u64, String)> =
        first.parts.iter().chain(&second.parts).map(|p| (p.part_number, p.size, p.etag.clone())).collect();
    let expected: Vec<(u16, u64, String)> =
        plan.parts().zip(&parts).map(|(s, p)| (s.number, s.size, p.etag.clone())).collect();
    assert_eq!(listed, expected);

    let complete = CompleteMultipartUpload { key: key.clone(), upload_id, parts };
    let done = run(&bucket, complete.request(profile), None, CompleteMultipartUpload::parse).await.expect("completed");
    assert!(done.etag.trim_matches('"').ends_with("-2"), "multipart ETag {}", done.etag);
    assert!(read_object(&key).await == data, "the object read back equals the file");
}

#[wasm_bindgen_test]
async fn upload_part_through_a_presigned_url() {
    let (bucket, creds) = (bucket(), good_credentials());
    let profile = bucket.profile();
    let data = bytes(300_000, 11);
    let file = blob(&data);
    let key = unique_key("presigned");
    let upload_id = initiate(&bucket, &creds, &key).await;

    let upload = part(&key, &upload_id, 1, 0, data.len() as u64, &data);
    let presigned = bucket
        .sign(&upload.request(profile).expect("request"), &creds, now(), Auth::Query { expires_in: 300 })
        .expect("presigned");
    assert!(presigned.url.contains("X-Amz-Signature="));
    assert!(!presigned.headers.iter().any(|(n, _)| n == "authorization"));
    let etag = UploadPart::parse(&send(&presigned, Some(&file)).await, profile).expect("part stored");
    assert!(etag_matches_md5(&etag, &md5(&data)));

    let complete = CompleteMultipartUpload {
        key: key.clone(),
        upload_id,
        parts: vec![CompletedPart { part_number: 1, etag, checksum: None }],
    };
    run(&bucket, complete.request(profile), None, CompleteMultipartUpload::parse).await.expect("completed");
    assert!(read_object(&key).await == data);
}

#[wasm_bindgen_test]
async fn a_wrong_md5_is_refused_and_abort_forgets_the_upload() {
    let (bucket, creds) = (bucket(), good_credentials());
    let profile = bucket.profile();
    let file = blob(&bytes(1000, 3));
    let key = unique_key("aborted");
    let upload_id = initiate(&bucket, &creds, &key).await;

    let wrong = part(&key, &upload_id, 1, 0, 1000, b"other bytes");
    let refused = run(&bucket, wrong.request(profile), Some(&file), UploadPart::parse).await.expect_err("BadDigest");
    assert_eq!(refused.provider_code(), Some("BadDigest"));

    let abort = AbortMultipartUpload { key: key.clone(), upload_id: upload_id.clone() };
    run(&bucket, abort.request(profile), None, AbortMultipartUpload::parse).await.expect("aborted");
    let list = ListParts { key, upload_id, max_parts: None, part_number_marker: None };
    let gone = run(&bucket, list.request(profile), None, ListParts::parse).await.expect_err("the upload is gone");
    assert_eq!(gone.provider_code(), Some("NoSuchUpload"));
}

#[wasm_bindgen_test]
async fn a_wrong_secret_is_a_typed_signature_error() {
    let bucket = bucket();
    let profile = bucket.profile();
    let create = CreateMultipartUpload { key: unique_key("wrong secret"), options: ObjectOptions::default() };
    let answer = call(&bucket, &credentials("not-the-secret"), &create.request(profile).expect("request"), None).await;
    let error = CreateMultipartUpload::parse(&answer, profile).expect_err("refused");
    assert!(matches!(error, Error::Provider(_)));
    assert_eq!(error.status(), Some(403));
    assert_eq!(error.provider_code(), Some("SignatureDoesNotMatch"));
    assert!(!error.is_retryable(), "a wrong secret is not worth retrying");
    assert!(error.request_id().is_some(), "the bucket's CORS rule exposes the request id");
    assert!(answer.header("date").is_some(), "the bucket's CORS rule exposes Date (for clock-skew correction)");
}

#[wasm_bindgen(module = "/js/hash_pool.js")]
extern "C" {
    type HashPool;
    #[wasm_bindgen(constructor)]
    fn new(module: &JsValue, size: u32) -> HashPool;
    #[wasm_bindgen(method)]
    fn hash(this: &HashPool, blob: &web_sys::Blob, code: u32) -> js_sys::Promise;
    #[wasm_bindgen(method)]
    fn terminate(this: &HashPool);
}

/// The digest a Worker of `pool` computes for `blob`, numbered as `js/driver.js` numbers it: the
/// checksum's place in [`ChecksumAlgorithm::ALL`] plus one (0: none), 0x100 without the MD5.
async fn digest(pool: &HashPool, blob: &web_sys::Blob, with_md5: bool, checksum: Option<ChecksumAlgorithm>) -> Vec<u8> {
    let algorithm =
        checksum.map_or(0, |a| ChecksumAlgorithm::ALL.iter().position(|b| *b == a).expect("listed") as u32 + 1);
    let code = if with_md5 { algorithm } else { algorithm | 0x100 };
    let digest = wasm_bindgen_futures::JsFuture::from(pool.hash(blob, code)).await.expect("the workers run");
    js_sys::Uint8Array::new(&digest).to_vec()
}

#[wasm_bindgen_test]
async fn hash_pool_matches_the_core_md5_and_checksums() {
    let pool = HashPool::new(&wasm_bindgen::module(), 2);
    let data = bytes(9 * MIB + 7, 11);
    for part in [&data[..], &data[..5], &[]] {
        assert_eq!(digest(&pool, &blob(part), true, None).await, md5(part));
    }
    for algorithm in ChecksumAlgorithm::ALL {
        for with_md5 in [true, false] {
            let mut expected = if with_md5 { md5(&data).to_vec() } else { Vec::new() };
            expected.extend(algorithm.digest(&data));
            assert_eq!(
                digest(&pool, &blob(&data), with_md5, Some(algorithm)).await,
                expected,
                "{algorithm:?} with MD5 {with_md5}"
            );
        }
    }
    pool.terminate();
}
