//! Set-up shared by the browser test targets: the SeaweedFS that `scripts/test.sh` starts, whose
//! address and development keys are passed in at compile time.
#![allow(dead_code)] // each test target uses its own subset

use partwise::bucket::SignedRequest;
use partwise::http::{Body, Method, Request, Response};
use partwise::timestamp::Timestamp;
use partwise::{Auth, Bucket, BucketConfig, Credentials, Provider};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/tests/support.js")]
extern "C" {
    #[wasm_bindgen(js_name = sendRequest, catch)]
    async fn send_request(method: &str, url: &str, headers: Vec<String>, body: JsValue) -> Result<JsValue, JsValue>;
}

pub(crate) const ENDPOINT: Option<&str> = option_env!("PARTWISE_TEST_ENDPOINT");
pub(crate) const BUCKET: Option<&str> = option_env!("PARTWISE_TEST_BUCKET");
pub(crate) const ACCESS_KEY: Option<&str> = option_env!("PARTWISE_TEST_ACCESS_KEY");
pub(crate) const SECRET_KEY: Option<&str> = option_env!("PARTWISE_TEST_SECRET_KEY");
pub(crate) const BACKEND: Option<&str> = option_env!("PARTWISE_TEST_BACKEND");
pub(crate) const MIB: u64 = 1024 * 1024;

/// A compile-time setting, or a panic that says how to run the tests.
pub(crate) fn setting(value: Option<&'static str>, name: &str) -> &'static str {
    value.unwrap_or_else(|| panic!("{name} was not set at compile time: run the browser tests through `npm test`"))
}

/// The test bucket.
pub(crate) fn bucket() -> Bucket {
    Bucket::new(&BucketConfig {
        provider: Provider::S3,
        endpoint: setting(ENDPOINT, "PARTWISE_TEST_ENDPOINT"),
        name: setting(BUCKET, "PARTWISE_TEST_BUCKET"),
        region: Some("us-east-1"),
        path_style: None,
        scheme: None,
    })
    .expect("test bucket")
}

/// The development access key with `secret`.
pub(crate) fn credentials(secret: &str) -> Credentials {
    Credentials::new(setting(ACCESS_KEY, "PARTWISE_TEST_ACCESS_KEY"), secret, None)
}

/// The development keys.
pub(crate) fn good_credentials() -> Credentials {
    credentials(setting(SECRET_KEY, "PARTWISE_TEST_SECRET_KEY"))
}

/// Pseudo-random bytes (xorshift, eight at a time), so parts differ and a misplaced byte shows.
pub(crate) fn bytes(len: u64, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len as usize + 8);
    while (out.len() as u64) < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len as usize);
    out
}

/// The browser's clock.
pub(crate) fn now() -> Timestamp {
    Timestamp::from_unix((js_sys::Date::now() / 1000.0) as i64).expect("clock")
}

/// Sends `request` through `fetch`; a [`Body::Range`] is sliced from `file`.
pub(crate) async fn send(request: &SignedRequest, file: Option<&web_sys::Blob>) -> Response {
    let body = match &request.body {
        Body::Empty => JsValue::UNDEFINED,
        Body::Text(text) => text.into(),
        Body::Range { offset, len } => {
            let file = file.expect("a part needs the file");
            file.slice_with_f64_and_f64(*offset as f64, (*offset + *len) as f64).expect("slice").into()
        }
    };
    let headers = request.headers.iter().flat_map(|(n, v)| [n.clone(), v.clone()]).collect();
    let answer = send_request(request.method.as_str(), &request.url, headers, body).await.expect("fetch");
    let get = |name: &str| js_sys::Reflect::get(&answer, &name.into()).expect("field");
    let flat: Vec<String> = js_sys::Array::from(&get("headers")).iter().filter_map(|v| v.as_string()).collect();
    Response {
        status: get("status").as_f64().expect("status") as u16,
        headers: flat.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect(),
        body: js_sys::Uint8Array::new(&get("body")).to_vec(),
    }
}

/// The object as stored, read with the development keys.
pub(crate) async fn read_object(key: &str) -> Vec<u8> {
    let get = Request { method: Method::Get, key: key.to_owned(), query: vec![], headers: vec![], body: Body::Empty };
    let signed = bucket().sign(&get, &good_credentials(), now(), Auth::Header).expect("signed");
    let answer = send(&signed, None).await;
    assert_eq!(answer.status, 200, "GET {key}");
    answer.body
}
