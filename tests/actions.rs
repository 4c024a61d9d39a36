//! Request builders and response parsers of every operation, against the providers' documented
//! response samples (`tests/fixtures/`, one folder per provider).
#![cfg(not(target_arch = "wasm32"))]

use partwise::actions::*;
use partwise::http::{Body, Method, Response};
use partwise::{Error, Provider};
use std::path::Path;

fn fixture(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn ok(body: &str) -> Response {
    Response { status: 200, headers: vec![], body: body.as_bytes().to_vec() }
}

fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[test]
fn initiate() {
    let s3 = Provider::S3.profile();
    let req = CreateMultipartUpload {
        key: "photos/a b.jpg".into(),
        options: ObjectOptions {
            content_type: Some("image/jpeg".into()),
            metadata: vec![("camera".into(), "x100".into())],
            ..ObjectOptions::default()
        },
    }
    .request(s3)
    .expect("valid");
    assert_eq!((req.method, req.key.as_str(), req.body), (Method::Post, "photos/a b.jpg", Body::Empty));
    assert_eq!(req.query, query(&[("uploads", "")]));
    assert!(req.headers.contains(&("x-amz-meta-camera".into(), "x100".into())));

    let created = CreateMultipartUpload::parse(&ok(&fixture("tests/fixtures/s3/initiate-multipart-upload.xml")), s3)
        .expect("parsed");
    assert_eq!(created.bucket, "example-bucket");
    assert_eq!(created.key, "example-object");
    assert_eq!(created.upload_id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");

    let empty = CreateMultipartUpload { key: String::new(), options: ObjectOptions::default() };
    assert!(matches!(empty.request(s3), Err(Error::InvalidInput { field: "key", .. })));
    assert!(matches!(CreateMultipartUpload::parse(&ok("<Nope/>"), s3), Err(Error::InvalidResponse { .. })));
    assert!(matches!(CreateMultipartUpload::parse(&ok("not xml at all"), s3), Err(Error::InvalidResponse { .. })));
}

#[test]
fn upload_part() {
    let nos = Provider::Nos.profile();
    let part = UploadPart {
        key: "k".into(),
        upload_id: "id".into(),
        part_number: 7,
        offset: 10,
        size: 20,
        content_md5: Some("d41d8cd98f00b204e9800998ecf8427e".into()),
    };
    let req = part.request(nos).expect("valid");
    assert_eq!(req.method, Method::Put);
    assert_eq!(req.query, query(&[("partNumber", "7"), ("uploadId", "id")]));
    assert_eq!(req.body, Body::Range { offset: 10, len: 20 });
    let with_etag = Response { status: 200, headers: vec![("ETag".into(), "\"abc\"".into())], body: vec![] };
    assert_eq!(UploadPart::parse(&with_etag, nos), Ok("\"abc\"".into()));
    let hidden = Response { status: 200, headers: vec![], body: vec![] };
    assert_eq!(UploadPart::parse(&hidden, nos), Err(Error::EtagNotExposed));
    for bad in [0, 10_001] {
        assert!(UploadPart { part_number: bad, ..part.clone() }.request(nos).is_err());
    }
    let bad_digest = Response {
        status: 400,
        headers: vec![("x-nos-request-id".into(), "rid".into())],
        body: b"<Error><Code>BadDigest</Code><Message>md5</Message></Error>".to_vec(),
    };
    let e = UploadPart::parse(&bad_digest, nos).expect_err("error");
    // Bytes damaged on the way: the part is read from the file and sent again.
    assert_eq!((e.provider_code(), e.request_id(), e.is_retryable()), (Some("BadDigest"), Some("rid"), true));
}

#[test]
fn complete() {
    let s3 = Provider::S3.profile();
    let c = CompleteMultipartUpload {
        key: "k".into(),
        upload_id: "id".into(),
        parts: vec![
            CompletedPart { part_number: 2, etag: "\"b\"".into(), checksum: None },
            CompletedPart { part_number: 1, etag: "\"a\"".into(), checksum: None },
        ],
    };
    let req = c.request(s3).expect("valid");
    let Body::Text(body) = &req.body else { panic!("xml body") };
    assert_eq!(
        body,
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;a&quot;</ETag></Part>\
         <Part><PartNumber>2</PartNumber><ETag>&quot;b&quot;</ETag></Part></CompleteMultipartUpload>"
    );
    assert!(req.headers.iter().any(|(n, _)| n == "content-md5"));
    let nos_req = c.request(Provider::Nos.profile()).expect("valid");
    let md5 = nos_req.headers.iter().find(|(n, _)| n == "content-md5").map(|(_, v)| v.clone()).expect("md5");
    assert_eq!(md5.len(), 32, "NOS wants hex Content-MD5");

    let dup = CompleteMultipartUpload { parts: vec![c.parts[0].clone(), c.parts[0].clone()], ..c.clone() };
    assert!(matches!(dup.request(s3), Err(Error::InvalidInput { field: "parts", .. })));
    assert!(CompleteMultipartUpload { parts: vec![], ..c.clone() }.request(s3).is_err());

    let done = CompleteMultipartUpload::parse(&ok(&fixture("tests/fixtures/s3/complete-multipart-upload.xml")), s3)
        .expect("parsed");
    assert_eq!(done.etag, "\"3858f62230ac3c915f300c664312c11f-9\"");
    assert_eq!(done.location, "http://Example-Bucket.s3.amazonaws.com/Example-Object");

    let late =
        CompleteMultipartUpload::parse(&ok(&fixture("tests/fixtures/s3/complete-multipart-upload-200-error.xml")), s3)
            .expect_err("200 with <Error> is an error");
    assert_eq!((late.status(), late.provider_code()), (Some(200), Some("InternalError")));
    assert_eq!(late.request_id(), Some("656c76696e6727732072657175657374"));
    assert!(late.is_retryable());
    assert!(CompleteMultipartUpload::parse(&ok(""), s3).is_err());
}

#[test]
fn complete_reports_the_object_crc64_on_oss_and_ks3() {
    use partwise::checksum::ChecksumAlgorithm::Crc64Ecma;
    let result = |extra: &str| {
        format!(
            "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><ETag>\"E\"</ETag>{extra}</CompleteMultipartUploadResult>"
        )
    };
    let with_header = |name: &str| Response {
        status: 200,
        headers: vec![(name.into(), "11051210869376104954".into())],
        body: result("").into_bytes(),
    };
    let oss = CompleteMultipartUpload::parse(&with_header("x-oss-hash-crc64ecma"), Provider::Oss.profile());
    assert_eq!(oss.expect("parsed").checksums, vec![(Crc64Ecma, "11051210869376104954".to_owned())]);
    let ks3 = CompleteMultipartUpload::parse(&with_header("x-kss-checksum-crc64ecma"), Provider::Ks3.profile());
    assert_eq!(ks3.expect("parsed").checksums, vec![(Crc64Ecma, "11051210869376104954".to_owned())]);
    let element = ok(&result("<ChecksumCRC64ECMA>42</ChecksumCRC64ECMA>"));
    let ks3 = CompleteMultipartUpload::parse(&element, Provider::Ks3.profile()).expect("parsed");
    assert_eq!(ks3.checksums, vec![(Crc64Ecma, "42".to_owned())]);
    // Services that report no CRC-64: the header means nothing there.
    let s3 = CompleteMultipartUpload::parse(&with_header("x-oss-hash-crc64ecma"), Provider::S3.profile());
    assert!(s3.expect("parsed").checksums.is_empty());
}

#[test]
fn abort() {
    let ks3 = Provider::Ks3.profile();
    let req = AbortMultipartUpload { key: "k".into(), upload_id: "id".into() }.request(ks3).expect("valid");
    assert_eq!((req.method, req.query.clone()), (Method::Delete, query(&[("uploadId", "id")])));
    assert_eq!(AbortMultipartUpload::parse(&Response { status: 204, ..Response::default() }, ks3), Ok(()));
    let gone = Response { status: 404, headers: vec![], body: b"<Error><Code>NoSuchUpload</Code></Error>".to_vec() };
    assert_eq!(AbortMultipartUpload::parse(&gone, ks3).expect_err("404").provider_code(), Some("NoSuchUpload"));
}

#[test]
fn list_parts_s3_and_nos() {
    let s3 = Provider::S3.profile();
    let list = ListParts { key: "k".into(), upload_id: "id".into(), max_parts: Some(2), part_number_marker: Some(1) };
    let req = list.request(s3).expect("valid");
    assert_eq!(req.query, query(&[("uploadId", "id"), ("max-parts", "2"), ("part-number-marker", "1")]));
    assert!(ListParts { max_parts: Some(1001), ..list.clone() }.request(s3).is_err());

    let page = ListParts::parse(&ok(&fixture("tests/fixtures/s3/list-parts.xml")), s3).expect("parsed");
    assert_eq!(page.parts.len(), 2);
    assert_eq!((page.parts[0].part_number, page.parts[0].size), (2, 10_485_760));
    assert_eq!(page.parts[0].etag, "\"7778aef83f66abc1fa1e8477f296d394\"");
    let next = list.next(&page).expect("ok").expect("truncated");
    assert_eq!(next.part_number_marker, Some(3));

    // NOS's documented sample: a trailing space in <UploadId>, a non-hex ETag, no namespace.
    let nos = Provider::Nos.profile();
    let page = ListParts::parse(&ok(&fixture("tests/fixtures/nos/list-parts.xml")), nos).expect("parsed");
    assert_eq!(page.parts.iter().map(|p| p.part_number).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(page.parts[1].etag, "\"aaaa18db4cc2f85cedef654fccc4a4x8\"");
    assert_eq!((page.is_truncated, page.next_part_number_marker), (true, Some(3)));

    let last = PartsPage { parts: vec![], is_truncated: false, next_part_number_marker: None };
    assert_eq!(list.next(&last), Ok(None));
    let stuck = PartsPage { parts: vec![], is_truncated: true, next_part_number_marker: None };
    assert!(list.next(&stuck).is_err());
}

#[test]
fn list_uploads_s3_and_ks3() {
    let s3 = Provider::S3.profile();
    let list = ListMultipartUploads {
        prefix: Some("photos/".into()),
        delimiter: Some("/".into()),
        key_marker: Some("a".into()),
        upload_id_marker: Some("u".into()),
        max_uploads: Some(50),
        url_encoded_keys: true,
    };
    let req = list.request(s3).expect("valid");
    assert_eq!((req.method, req.key.as_str()), (Method::Get, ""));
    assert_eq!(
        req.query,
        query(&[
            ("uploads", ""),
            ("prefix", "photos/"),
            ("delimiter", "/"),
            ("key-marker", "a"),
            ("upload-id-marker", "u"),
            ("max-uploads", "50"),
            ("encoding-type", "url")
        ])
    );
    assert!(ListMultipartUploads { max_uploads: Some(0), ..Default::default() }.request(s3).is_err());

    let page =
        ListMultipartUploads::parse(&ok(&fixture("tests/fixtures/s3/list-multipart-uploads.xml")), s3).expect("parsed");
    assert_eq!(page.uploads.len(), 3);
    assert_eq!(page.uploads[1].key, "my-movie.m2ts");
    assert_eq!(page.uploads[0].initiated.as_deref(), Some("2010-11-10T20:48:33.000Z"));
    let next = ListMultipartUploads::default().next(&page).expect("ok").expect("truncated");
    assert_eq!(next.key_marker.as_deref(), Some("my-movie.m2ts"));
    assert_eq!(next.upload_id_marker.as_deref(), Some("YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ"));
    assert!(next.next(&page).is_err(), "the same markers again would loop forever");

    let grouped =
        ListMultipartUploads::parse(&ok(&fixture("tests/fixtures/s3/list-multipart-uploads-delimiter.xml")), s3)
            .expect("parsed");
    assert_eq!(grouped.common_prefixes, ["photos/", "videos/"]);
    assert_eq!(grouped.uploads.len(), 1);
    assert_eq!(ListMultipartUploads::default().next(&grouped), Ok(None));

    let ks3 = Provider::Ks3.profile();
    let page = ListMultipartUploads::parse(&ok(&fixture("tests/fixtures/ks3/list-multipart-uploads.xml")), ks3)
        .expect("parsed");
    assert_eq!(page.uploads.len(), 3);
    assert_eq!(page.uploads[2].initiated.as_deref(), Some("2014-11-10T20:49:33.000Z"));
    assert!(page.is_truncated);
    assert_eq!(page.next_key_marker.as_deref(), Some("my-movie.m2ts"));

    let encoded = "<ListMultipartUploadsResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>\
        <Upload><Key>a%20b%2Bc/%E4%B8%AD</Key><UploadId>x</UploadId></Upload>\
        <CommonPrefixes><Prefix>p%3F/</Prefix></CommonPrefixes></ListMultipartUploadsResult>";
    let page = ListMultipartUploads::parse(&ok(encoded), s3).expect("parsed");
    assert_eq!(page.uploads[0].key, "a b+c/中");
    assert_eq!(page.common_prefixes, ["p?/"]);
}

#[test]
fn put_object() {
    let oss = Provider::Oss.profile();
    let put = PutObject { key: "k".into(), size: 3, content_md5: Some("m".into()), options: ObjectOptions::default() };
    let req = put.request(oss).expect("valid");
    assert_eq!((req.method, req.body), (Method::Put, Body::Range { offset: 0, len: 3 }));
    assert!(req.query.is_empty());
    let etag = Response { status: 200, headers: vec![("etag".into(), "\"ABC\"".into())], body: vec![] };
    assert_eq!(PutObject::parse(&etag, oss), Ok("\"ABC\"".into()));
}

#[test]
fn head_object() {
    let s3 = Provider::S3.profile();
    let req = HeadObject { key: "photos/a b.jpg".into() }.request(s3).expect("valid");
    assert_eq!((req.method, req.key.as_str(), req.body), (Method::Head, "photos/a b.jpg", Body::Empty));
    assert!(req.query.is_empty() && req.headers.is_empty());
    assert!(matches!(HeadObject { key: String::new() }.request(s3), Err(Error::InvalidInput { field: "key", .. })));

    // The answer S3 documents for HEAD: headers only.
    let headers = |pairs: &[(&str, &str)]| pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
    let found = Response {
        status: 200,
        headers: headers(&[
            ("x-amz-request-id", "318BC8BC148832E5"),
            ("Last-Modified", "Wed, 28 Oct 2009 22:32:00 GMT"),
            ("ETag", "\"3858f62230ac3c915f300c664312c11f-9\""),
            ("Content-Length", "434234"),
            ("Content-Type", "text/plain"),
        ]),
        body: vec![],
    };
    let head = HeadObject::parse(&found, s3).expect("parsed");
    assert_eq!(head, ObjectHead { size: 434_234, etag: "\"3858f62230ac3c915f300c664312c11f-9\"".into() });

    let missing = Response { status: 404, headers: headers(&[("x-amz-request-id", "rid")]), body: vec![] };
    let e = HeadObject::parse(&missing, s3).expect_err("404");
    assert_eq!((e.code(), e.status(), e.provider_code()), ("ProviderError", Some(404), Some("NoSuchKey")));
    assert_eq!((e.request_id(), e.is_retryable()), (Some("rid"), false));
    let refused = Response { status: 403, headers: vec![], body: vec![] };
    assert_eq!(HeadObject::parse(&refused, s3).expect_err("403").provider_code(), None, "only 404 gets a code");

    let hidden = Response { headers: headers(&[("Content-Length", "1")]), ..found.clone() };
    assert_eq!(HeadObject::parse(&hidden, s3), Err(Error::EtagNotExposed));
    let no_length = Response { headers: headers(&[("ETag", "\"e\"")]), ..found };
    assert!(matches!(HeadObject::parse(&no_length, s3), Err(Error::InvalidResponse { context: "HeadObject", .. })));
}

#[test]
fn operations_are_named_once() {
    let names: Vec<&str> = Operation::ALL.iter().map(|o| o.name()).collect();
    assert_eq!(
        names,
        [
            "createMultipartUpload",
            "uploadPart",
            "completeMultipartUpload",
            "abortMultipartUpload",
            "listParts",
            "listMultipartUploads",
            "putObject",
            "headObject"
        ]
    );
    let implemented = [
        CreateMultipartUpload::OPERATION,
        UploadPart::OPERATION,
        CompleteMultipartUpload::OPERATION,
        AbortMultipartUpload::OPERATION,
        ListParts::OPERATION,
        ListMultipartUploads::OPERATION,
        PutObject::OPERATION,
        HeadObject::OPERATION,
    ];
    assert_eq!(implemented, Operation::ALL, "one action per operation");
}

#[test]
fn documented_error_sample() {
    let r = Response {
        status: 404,
        headers: vec![],
        body: fixture("tests/fixtures/s3/error-no-such-key.xml").into_bytes(),
    };
    let e = provider_error(&r, Provider::S3.profile());
    assert_eq!(e.provider_code(), Some("NoSuchKey"));
    assert_eq!(e.request_id(), Some("4442587FB7D0A2F9"));
    assert_eq!(e.code(), "ProviderError");
    assert!(e.to_string().contains("The resource you requested does not exist"));
}
