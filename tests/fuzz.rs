//! Property tests of everything that reads outside input: the response parsers (arbitrary bytes
//! and XML-shaped documents), the checkpoint reader, and the request builders and signers (any key,
//! metadata, part number and upload id): no panic, and a failure is a typed error. Also: a signed
//! request's `Debug` output never shows a secret key, a session token or a signature. `npm test` runs the default 256 cases per property; a long pass runs by hand
//! with `PROPTEST_CASES=100000 cargo test --release --test fuzz`.
#![cfg(not(target_arch = "wasm32"))]

use partwise::actions::*;
use partwise::http::Response;
use partwise::upload::checkpoint::Checkpoint;
use partwise::{Auth, Bucket, BucketConfig, Credentials, Provider, Timestamp};
use proptest::prelude::*;

const PROVIDERS: [Provider; 5] = [Provider::S3, Provider::Oss, Provider::Obs, Provider::Nos, Provider::Ks3];

/// Element names the parsers look for, plus a few they do not.
const NAMES: &[&str] = &[
    "Error",
    "Code",
    "Message",
    "RequestId",
    "HostId",
    "InitiateMultipartUploadResult",
    "Bucket",
    "Key",
    "UploadId",
    "CompleteMultipartUploadResult",
    "Location",
    "ETag",
    "ListPartsResult",
    "Part",
    "PartNumber",
    "Size",
    "LastModified",
    "IsTruncated",
    "NextPartNumberMarker",
    "ListMultipartUploadsResult",
    "Upload",
    "Initiated",
    "CommonPrefixes",
    "Prefix",
    "NextKeyMarker",
    "NextUploadIdMarker",
    "EncodingType",
    "s3:Key",
    "x",
];

/// XML-shaped text: nested known elements with arbitrary text, entities and CDATA.
fn document() -> impl Strategy<Value = String> {
    let text = prop_oneof![
        "[ -~]{0,12}",
        Just("&amp;&lt;&#x41;&#65;".to_owned()),
        Just("<![CDATA[<x>]]>".to_owned()),
        Just("&bogus;".to_owned()),
        "[0-9]{1,7}",
        Just("true".to_owned()),
    ];
    let leaf = (prop::sample::select(NAMES), text).prop_map(|(n, t)| format!("<{n}>{t}</{n}>"));
    leaf.prop_recursive(4, 64, 8, |inner| {
        (prop::sample::select(NAMES), prop::collection::vec(inner, 0..8), any::<bool>()).prop_map(|(n, kids, close)| {
            let close = if close { format!("</{n}>") } else { String::new() };
            format!("<{n} xmlns=\"u\">{}{close}", kids.concat())
        })
    })
}

fn response(status: u16, body: &[u8]) -> Response {
    Response { status, headers: vec![("x-amz-request-id".into(), "r".into())], body: body.to_vec() }
}

/// Runs every parser of every provider on one answer.
fn parse_everything(answer: &Response) {
    for provider in PROVIDERS {
        let profile = provider.profile();
        let _ = CreateMultipartUpload::parse(answer, profile);
        let _ = CompleteMultipartUpload::parse(answer, profile);
        let _ = ListParts::parse(answer, profile);
        let _ = ListMultipartUploads::parse(answer, profile);
        let _ = UploadPart::parse(answer, profile);
        let _ = AbortMultipartUpload::parse(answer, profile);
        let _ = provider_error(answer, profile);
    }
}

proptest! {
    #[test]
    fn parsers_survive_any_bytes(body in prop::collection::vec(any::<u8>(), 0..512), status in prop::sample::select(vec![200u16, 400, 403, 500])) {
        parse_everything(&response(status, &body));
    }

    #[test]
    fn parsers_survive_xml_shaped_documents(doc in document(), status in prop::sample::select(vec![200u16, 404, 503])) {
        parse_everything(&response(status, format!("<?xml version=\"1.0\"?>{doc}").as_bytes()));
    }

    #[test]
    fn the_checkpoint_reader_survives_any_text(text in "\\PC{0,300}") {
        let _ = Checkpoint::from_json(&text);
        let json = format!("{{\"schema\":1,\"uploadId\":{text:?},\"partSize\":5242880,\"parts\":[{{\"number\":0}}]}}");
        prop_assert!(Checkpoint::from_json(&json).is_err());
    }

    #[test]
    fn the_checkpoint_reader_survives_a_damaged_record(at in 0usize..400, byte in any::<u8>(), cut in any::<bool>()) {
        // A record as partwise writes it, with one byte changed or cut short there.
        let record = r#"{"schema":1,"provider":"s3","endpoint":"http://h","bucket":"b","key":"k \u00e9\"","uploadId":"u","partSize":5242880,"fingerprint":{"name":"a","size":10485760,"lastModified":1,"mime":"","sampleMd5":"00"},"parts":[{"number":1,"size":5242880,"etag":"\"e\"","md5":null,"checksum":null}],"checksum":null,"createdAt":1}"#;
        prop_assert!(Checkpoint::from_json(record).is_ok());
        let mut bytes = record.as_bytes().to_vec();
        let at = at % bytes.len();
        if cut { bytes.truncate(at) } else { bytes[at] = byte }
        let _ = Checkpoint::from_json(&String::from_utf8_lossy(&bytes));
        let nested = "[".repeat(at * 50) + &"]".repeat(at * 50);
        let _ = Checkpoint::from_json(&nested);
    }

    #[test]
    fn builders_and_signers_survive_any_input(
        key in "\\PC{0,80}",
        upload_id in "\\PC{0,20}",
        part_number in any::<u16>(),
        meta_name in "\\PC{0,10}",
        meta_value in "\\PC{0,20}",
        path_style in any::<bool>(),
    ) {
        let credentials = Credentials::new("AKID", "secret", Some("token".into()));
        let time = Timestamp::from_unix(1_700_000_000).expect("time");
        for provider in PROVIDERS {
            let profile = provider.profile();
            let config = BucketConfig {
                provider,
                endpoint: "https://storage.example.com",
                name: "fuzz-bucket",
                region: Some("us-east-1"),
                path_style: Some(path_style),
                scheme: None,
            };
            let bucket = Bucket::new(&config).expect("a valid bucket");
            let options = ObjectOptions { content_type: Some(meta_value.clone()), metadata: vec![(meta_name.clone(), meta_value.clone())], ..ObjectOptions::default() };
            let requests = [
                CreateMultipartUpload { key: key.clone(), options }.request(profile),
                UploadPart { key: key.clone(), upload_id: upload_id.clone(), part_number, offset: 0, size: 1, content_md5: None }.request(profile),
                ListParts { key: key.clone(), upload_id: upload_id.clone(), max_parts: Some(part_number), part_number_marker: Some(part_number) }.request(profile),
                AbortMultipartUpload { key: key.clone(), upload_id: upload_id.clone() }.request(profile),
                CompleteMultipartUpload { key: key.clone(), upload_id: upload_id.clone(), parts: vec![CompletedPart { part_number, etag: meta_value.clone(), checksum: None }] }.request(profile),
                ListMultipartUploads { prefix: Some(key.clone()), key_marker: Some(meta_value.clone()), ..Default::default() }.request(profile),
            ];
            for request in requests.into_iter().flatten() {
                let _ = bucket.url(&request);
                for auth in [Auth::Header, Auth::Query { expires_in: 900 }] {
                    if let Ok(signed) = bucket.sign(&request, &credentials, time, auth) {
                        prop_assert!(signed.url.starts_with("https://"));
                    }
                }
            }
        }
    }

    #[test]
    fn debug_output_never_shows_a_secret(secret in "[A-Za-z0-9/+]{16,40}", token in "[A-Za-z0-9]{20,60}", key in "[a-z/ ]{1,20}") {
        let credentials = Credentials::new("AKIDEXAMPLE", &secret, Some(token.clone()));
        let time = Timestamp::from_unix(1_700_000_000).expect("time");
        for provider in PROVIDERS {
            let config = BucketConfig { provider, endpoint: "https://storage.example.com", name: "fuzz-bucket", region: Some("us-east-1"), path_style: None, scheme: None };
            let bucket = Bucket::new(&config).expect("bucket");
            let request = UploadPart { key: key.clone(), upload_id: "u".into(), part_number: 1, offset: 0, size: 1, content_md5: None }
                .request(provider.profile())
                .expect("request");
            for auth in [Auth::Header, Auth::Query { expires_in: 900 }] {
                let signed = bucket.sign(&request, &credentials, time, auth).expect("signed");
                let printed = format!("{signed:?} {credentials:?}");
                prop_assert!(!printed.contains(&secret) && !printed.contains(&token), "{printed}");
                let query = signed.url.split_once('?').map_or("", |(_, q)| q);
                let signatures = query.split('&').filter_map(|p| p.split_once('=')).filter(|(n, _)| n.to_ascii_lowercase().contains("signature"));
                let headers = signed.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case("authorization")).map(|(n, v)| (n.as_str(), v.as_str()));
                for (name, value) in signatures.chain(headers) {
                    prop_assert!(!printed.contains(value), "{name} shown: {printed}");
                }
            }
        }
    }
}
