//! Server-side encryption: which headers each request carries, and what an ETag that is no MD5
//! (S3 under SSE-KMS and SSE-C) means for the part check, resume and a lost Complete.

use super::{SIZE, headers_of};
use crate::server::{self, Fault, MIB, Mode, World, config};
use partwise::Provider;
use partwise::actions::{CustomerKey, Encryption, ObjectOptions, Operation};
use partwise::upload::{Config, Event, ObjectSpec, Upload};

/// A 256-bit key, base64: "0123456789abcdef" twice.
const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

fn sse_c() -> Encryption {
    Encryption::Customer(CustomerKey::from_base64(KEY).expect("key"))
}

fn kms() -> Encryption {
    Encryption::Kms { key_id: Some("alias/uploads".into()), context: Vec::new() }
}

fn encrypted(encryption: Option<Encryption>) -> ObjectSpec {
    ObjectSpec { key: server::KEY.into(), options: ObjectOptions { encryption, ..ObjectOptions::default() } }
}

fn customer_headers() -> Vec<(String, String)> {
    vec![
        ("x-amz-server-side-encryption-customer-algorithm".into(), "AES256".into()),
        ("x-amz-server-side-encryption-customer-key".into(), KEY.into()),
        ("x-amz-server-side-encryption-customer-key-MD5".into(), "hRasmdxgYDKV3nvbahU1MA==".into()),
    ]
}

fn has_all(headers: &[(String, String)], wanted: &[(String, String)]) -> bool {
    wanted.iter().all(|w| headers.contains(w))
}

#[test]
fn a_non_md5_etag_is_accepted_only_under_sse_kms_and_sse_c() {
    for (encryption, accepted) in
        [(None, false), (Some(Encryption::Managed), false), (Some(kms()), true), (Some(sse_c()), true)]
    {
        let name = format!("{encryption:?}");
        let mut world = World::with_object(SIZE, config(), Mode::Sts, encrypted(encryption));
        world.service.opaque_etags = true;
        match world.run() {
            Ok(result) => assert!(accepted, "{name}: {result:?}"),
            Err(error) => {
                assert!(!accepted, "{name}: {error}");
                assert_eq!(error.code(), "InvalidResponse", "{name}");
            }
        }
    }
}

#[test]
fn sse_c_goes_on_initiate_every_part_and_complete_in_both_modes() {
    for mode in [Mode::Sts, Mode::Presigned] {
        let mut world = World::with_object(SIZE, config(), mode, encrypted(Some(sse_c())));
        world.service.opaque_etags = true;
        world.run().expect("complete");
        for operation in [Operation::CreateMultipartUpload, Operation::UploadPart, Operation::CompleteMultipartUpload] {
            let sent = headers_of(&world, operation);
            assert!(!sent.is_empty(), "{operation:?}");
            assert!(sent.iter().all(|h| has_all(h, &customer_headers())), "{operation:?}: {sent:?}");
        }
        assert_eq!(world.parts_sent().len(), 4);
        assert!(headers_of(&world, Operation::UploadPart).iter().all(|h| h.iter().any(|(n, _)| n == "content-md5")));
    }
}

#[test]
fn sse_kms_and_sse_s3_go_on_initiate_only() {
    for (encryption, mode) in [(kms(), "aws:kms"), (Encryption::Managed, "AES256")] {
        let mut world = World::with_object(SIZE, config(), Mode::Presigned, encrypted(Some(encryption)));
        world.run().expect("complete");
        let created = headers_of(&world, Operation::CreateMultipartUpload);
        assert!(created[0].contains(&("x-amz-server-side-encryption".into(), mode.into())), "{created:?}");
        for operation in [Operation::UploadPart, Operation::CompleteMultipartUpload] {
            for headers in headers_of(&world, operation) {
                assert!(!headers.iter().any(|(n, _)| n.contains("server-side-encryption")), "{operation:?}");
            }
        }
    }
}

#[test]
fn a_small_file_puts_with_the_customer_key() {
    let mut world = World::with_object(1, config(), Mode::Sts, encrypted(Some(sse_c())));
    world.service.opaque_etags = true;
    world.run().expect("complete");
    assert!(has_all(&headers_of(&world, Operation::PutObject)[0], &customer_headers()));
}

/// An SSE-C upload that stops after two stored parts, then a reload that passes the key again.
fn interrupted_sse_c() -> World {
    let mut world =
        World::with_object(SIZE, Config { concurrency: 1, ..config() }, Mode::Sts, encrypted(Some(sse_c())));
    world.service.opaque_etags = true;
    world.run_until(|w| w.events.iter().filter(|e| matches!(e, Event::Part { .. })).count() >= 2);
    world
}

#[test]
fn the_checkpoint_records_part_digests_and_never_the_key() {
    let world = interrupted_sse_c();
    let record = world.checkpoints.values().next().expect("record");
    assert_eq!(record.parts.len(), 2);
    for part in &record.parts {
        let offset = u64::from(part.number - 1) * 5 * MIB;
        let digest = hex::encode(world.file.digest(&[(offset, part.size)]));
        assert_eq!(part.md5.as_deref(), Some(digest.as_str()), "the MD5 partwise computed");
        assert_ne!(part.etag.trim_matches('"'), digest, "the service's ETag is no MD5");
    }
    let json = record.to_json();
    for secret in [KEY, "customer", "hRasmdxgYDKV3nvbahU1MA=="] {
        assert!(!json.contains(secret), "{secret} in {json}");
    }
    let printed = format!("{:?} {:?}", world.upload, world.log);
    assert!(!printed.contains(KEY), "the key is printed: redacted in Debug");
}

#[test]
fn a_resume_under_sse_c_checks_kept_parts_against_the_recorded_digests() {
    let mut world = interrupted_sse_c();
    world.file.changed = vec![5 * MIB]; // part 2's bytes are different now
    world.reload_object(config(), encrypted(Some(sse_c())));
    world.run().expect("complete");
    assert_eq!(world.count(Operation::CreateMultipartUpload), 0, "the same upload goes on");
    let mut sent = world.parts_sent();
    sent.sort_unstable();
    assert_eq!(sent, [2, 3, 4], "part 1 matched its digest; part 2 changed");
    for headers in headers_of(&world, Operation::UploadPart) {
        assert!(has_all(&headers, &customer_headers()));
    }
}

#[test]
fn a_part_the_checkpoint_missed_is_sent_again_under_sse_c() {
    let mut world = interrupted_sse_c();
    let id = world.checkpoints.values().next().expect("record").upload_id.clone();
    let opaque = format!("\"{}\"", "ab".repeat(16));
    world.service.uploads.get_mut(&id).expect("upload").parts.insert(3, (opaque, 5 * MIB));
    world.reload_object(config(), encrypted(Some(sse_c())));
    world.run().expect("complete");
    let mut sent = world.parts_sent();
    sent.sort_unstable();
    assert_eq!(sent, [3, 4], "no digest to check part 3 against: sent again");
}

#[test]
fn a_lost_complete_under_sse_c_is_checked_by_size_with_the_key() {
    let mut world = World::with_object(SIZE, config(), Mode::Sts, encrypted(Some(sse_c())));
    world.service.opaque_etags = true;
    let mut lost = 1;
    world.rule(move |op, _| {
        (op == Operation::CompleteMultipartUpload && lost > 0).then(|| {
            lost -= 1;
            Fault::Lost { performed: true, offline: false }
        })
    });
    let result = world.run().expect("the object holds the file");
    assert_eq!(result.size, SIZE);
    let heads = headers_of(&world, Operation::HeadObject);
    assert_eq!(heads.len(), 1);
    assert!(has_all(&heads[0], &customer_headers()), "{heads:?}");
}

#[test]
fn a_mode_the_service_lacks_fails_before_anything_is_sent() {
    for (provider, encryption, mode) in [
        (Provider::Nos, sse_c(), "SSE-C"),
        (Provider::Oss, sse_c(), "SSE-C"),
        (Provider::Nos, kms(), "SSE-KMS"),
        (Provider::Ks3, kms(), "SSE-KMS"),
    ] {
        let mut client = server::client_of(provider, Mode::Sts);
        let refused = Upload::new(
            config(),
            &mut client,
            encrypted(Some(encryption)),
            server::file_info(SIZE),
            2,
            server::START_MS,
            7,
        )
        .expect_err("not offered");
        assert_eq!(refused.code(), "InvalidInput");
        assert_eq!(refused.to_string(), format!("invalid encryption: {mode} is not supported by {}", provider.name()));
    }
}
