//! Flexible checksums (S3): the algorithm declared on Initiate, each part's checksum instead of
//! Content-MD5, the parts' checksums and the object's combined CRC on Complete, checked against
//! the service's answer, and kept in the checkpoint for a resume. The object's CRC-64/ECMA that
//! OSS and KS3 report, and S3's object ETag, checked against the file's parts.

use super::{SIZE, headers_of};
use crate::server::{self, KEY, MIB, Mode, World, client_of, config, file_info};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use partwise::Provider;
use partwise::actions::{Encryption, ObjectOptions, Operation};
use partwise::checksum::{Checksum, ChecksumAlgorithm};
use partwise::http::Body;
use partwise::upload::{Command, Config, Event, ObjectSpec, Upload};

fn with(algorithm: ChecksumAlgorithm) -> Config {
    Config { checksum: Checksum::Flexible(algorithm), ..config() }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

#[test]
fn each_algorithm_goes_on_initiate_every_part_and_complete_in_both_modes() {
    for algorithm in ChecksumAlgorithm::FLEXIBLE {
        for mode in [Mode::Sts, Mode::Presigned] {
            let mut world = World::new(SIZE, with(algorithm), mode);
            world.run().unwrap_or_else(|e| panic!("{algorithm:?}: {e}"));
            let initiate = &headers_of(&world, Operation::CreateMultipartUpload)[0];
            assert_eq!(header(initiate, "x-amz-checksum-algorithm"), Some(algorithm.name()));
            assert_eq!(header(initiate, "x-amz-checksum-type"), Some(algorithm.checksum_type()));
            let parts = headers_of(&world, Operation::UploadPart);
            assert!(parts.len() >= 4);
            for headers in &parts {
                assert!(header(headers, &algorithm.header()).is_some(), "{algorithm:?}: {headers:?}");
                assert!(header(headers, "content-md5").is_none(), "no Content-MD5 beside a flexible checksum");
            }
            let complete = &headers_of(&world, Operation::CompleteMultipartUpload)[0];
            let whole = BASE64.encode(world.file.checksum(algorithm, &[(0, SIZE)]));
            if algorithm.full_object() {
                // The service (like S3) refuses a Complete whose CRC is not the object's: the CRC
                // combined from parts of 5 MiB and a last one of 1 MiB + 3 bytes is the file's.
                assert_eq!(header(complete, &algorithm.header()), Some(whole.as_str()), "{algorithm:?}");
                assert_eq!(header(complete, "x-amz-checksum-type"), Some("FULL_OBJECT"));
            } else {
                assert_eq!(header(complete, &algorithm.header()), None, "SHA256 is composite");
            }
        }
    }
}

#[test]
fn the_complete_body_lists_each_parts_checksum() {
    let mut world = World::new(SIZE, with(ChecksumAlgorithm::Crc32c), Mode::Sts);
    world.run().expect("complete");
    let body = world
        .log
        .iter()
        .find_map(|c| match c {
            Command::Send { request, .. } if server::operation_of(request) == Operation::CompleteMultipartUpload => {
                match &request.body {
                    Body::Text(text) => Some(text.clone()),
                    _ => None,
                }
            }
            _ => None,
        })
        .expect("a Complete");
    let part_two = BASE64.encode(world.file.checksum(ChecksumAlgorithm::Crc32c, &[(5 * MIB, 5 * MIB)]));
    assert!(body.contains(&format!("<ChecksumCRC32C>{part_two}</ChecksumCRC32C></Part>")), "{body}");
    assert_eq!(body.matches("<ChecksumCRC32C>").count(), 4);
}

#[test]
fn a_stored_object_checksum_that_differs_is_an_integrity_error() {
    for algorithm in ChecksumAlgorithm::FLEXIBLE {
        let mut world = World::new(SIZE, with(algorithm), Mode::Sts);
        world.service.wrong_object_checksum = true;
        let error = world.run().expect_err("damaged");
        assert_eq!(error.code(), "IntegrityError", "{algorithm:?}: {error}");
        assert!(error.to_string().contains(algorithm.name()), "{error}");
        assert_eq!(world.count(Operation::CompleteMultipartUpload), 1, "not retried: the object is stored");
    }
}

#[test]
fn a_small_file_puts_with_its_checksum() {
    let mut world = World::new(1000, with(ChecksumAlgorithm::Crc64Nvme), Mode::Sts);
    world.run().expect("stored");
    let put = &headers_of(&world, Operation::PutObject)[0];
    let whole = BASE64.encode(world.file.checksum(ChecksumAlgorithm::Crc64Nvme, &[(0, 1000)]));
    assert_eq!(header(put, "x-amz-checksum-crc64nvme"), Some(whole.as_str()));
    assert!(header(put, "content-md5").is_none());
}

#[test]
fn services_without_flexible_checksums_refuse_them_before_anything_is_sent() {
    for provider in [Provider::Oss, Provider::Obs, Provider::Nos, Provider::Ks3] {
        let mut client = client_of(provider, Mode::Sts);
        let object = ObjectSpec { key: "k".into(), ..ObjectSpec::default() };
        let error = Upload::new(with(ChecksumAlgorithm::Crc32), &mut client, object, file_info(SIZE), 1, 0, 1)
            .expect_err("refused");
        assert_eq!(error.code(), "InvalidInput", "{provider:?}");
    }
}

#[test]
fn a_resume_keeps_part_checksums_in_the_checkpoint_and_completes_with_them() {
    let algorithm = ChecksumAlgorithm::Crc32;
    let config = Config { concurrency: 1, ..with(algorithm) };
    let mut world = World::new(SIZE, config, Mode::Sts);
    world.run_until(|w| w.events.iter().filter(|e| matches!(e, Event::Part { .. })).count() >= 2);
    let record = world.checkpoints.values().next().expect("record").clone();
    assert_eq!(record.parts.len(), 2);
    for part in &record.parts {
        let offset = u64::from(part.number - 1) * 5 * MIB;
        let expected = BASE64.encode(world.file.checksum(algorithm, &[(offset, part.size)]));
        assert_eq!(part.checksum.as_deref(), Some(expected.as_str()));
    }
    world.reload(config);
    world.run().expect("complete");
    assert_eq!(world.count(Operation::CreateMultipartUpload), 0, "the same upload goes on");
    let mut sent = world.parts_sent();
    sent.sort_unstable();
    assert!(record.parts.iter().all(|p| !sent.contains(&p.number)), "recorded parts still match: {sent:?}");
    let complete = &headers_of(&world, Operation::CompleteMultipartUpload)[0];
    let whole = BASE64.encode(world.file.checksum(algorithm, &[(0, SIZE)]));
    assert_eq!(header(complete, &algorithm.header()), Some(whole.as_str()));
}

#[test]
fn a_resume_with_another_checksum_starts_a_new_upload() {
    // The stored upload was declared with CRC32 (or with none): S3 takes only the declared
    // algorithm's part checksums, so its parts cannot be completed under another.
    for (before, after) in [
        (Checksum::Flexible(ChecksumAlgorithm::Crc32), Checksum::Flexible(ChecksumAlgorithm::Crc64Nvme)),
        (Checksum::Md5, Checksum::Flexible(ChecksumAlgorithm::Sha256)),
        (Checksum::Flexible(ChecksumAlgorithm::Crc32c), Checksum::Md5),
    ] {
        let first = Config { concurrency: 1, checksum: before, ..config() };
        let mut world = World::new(SIZE, first, Mode::Sts);
        world.run_until(|w| w.events.iter().filter(|e| matches!(e, Event::Part { .. })).count() >= 2);
        let record = world.checkpoints.values().next().expect("record").clone();
        assert_eq!(record.checksum.as_deref(), before.algorithm().map(ChecksumAlgorithm::option));
        let second = Config { concurrency: 1, checksum: after, ..config() };
        world.reload(second);
        world.run().unwrap_or_else(|e| panic!("{before:?} then {after:?}: {e}"));
        assert_eq!(world.count(Operation::CreateMultipartUpload), 1, "{before:?} then {after:?}: a new upload");
        assert_eq!(world.count(Operation::ListParts), 0, "the stored upload is not resumed");
        assert_eq!(world.parts_sent().len(), 4, "every part sent again");
        if let Some(algorithm) = after.algorithm().filter(|a| a.full_object()) {
            let complete = &headers_of(&world, Operation::CompleteMultipartUpload)[0];
            let whole = BASE64.encode(world.file.checksum(algorithm, &[(0, SIZE)]));
            assert_eq!(header(complete, &algorithm.header()), Some(whole.as_str()));
        }
    }
}

/// The hash commands' checksum: what the Workers compute beside each part's MD5.
fn hashed(world: &World) -> Vec<Option<ChecksumAlgorithm>> {
    let parts = world.log.iter().filter_map(|c| match c {
        Command::Hash { ranges, checksum, .. } if ranges.len() == 1 => Some(*checksum),
        _ => None,
    });
    parts.collect()
}

#[test]
fn oss_and_ks3_check_the_object_crc64_complete_reports() {
    for provider in [Provider::Oss, Provider::Ks3] {
        let object = ObjectSpec { key: KEY.into(), ..ObjectSpec::default() };
        let mut world = World::of(provider, SIZE, config(), Mode::Sts, object.clone());
        world.run().unwrap_or_else(|e| panic!("{provider:?}: {e}"));
        assert_eq!(hashed(&world), vec![Some(ChecksumAlgorithm::Crc64Ecma); 4], "{provider:?}: in the MD5's pass");
        let requests = world.log.iter().filter_map(|c| match c {
            Command::Send { request, .. } => Some(request),
            _ => None,
        });
        assert!(requests.flat_map(|r| &r.headers).all(|(n, _)| !n.starts_with("x-amz-checksum")), "nothing sent");

        // A stored object whose CRC is not the file's: typed, and the spent upload's record goes.
        let mut world = World::of(provider, SIZE, config(), Mode::Sts, object.clone());
        world.service.wrong_object_checksum = true;
        let error = world.run().expect_err("the object is not the file");
        assert_eq!(error.code(), "IntegrityError", "{provider:?}: {error}");
        assert!(error.to_string().contains("CRC64ECMA"), "{error}");
        assert!(world.checkpoints.is_empty(), "{provider:?}: {:?}", world.checkpoints.keys());

        // With `checksum: 'none'` nothing is hashed, so nothing is checked.
        let none = Config { checksum: Checksum::None, ..config() };
        let mut world = World::of(provider, SIZE, none, Mode::Sts, object);
        world.service.wrong_object_checksum = true;
        world.run().expect("not checked");
        assert!(hashed(&world).is_empty());
    }
}

#[test]
fn services_without_an_object_crc_hash_only_the_md5() {
    for provider in [Provider::S3, Provider::Obs] {
        let object = ObjectSpec { key: KEY.into(), ..ObjectSpec::default() };
        let mut world = World::of(provider, SIZE, config(), Mode::Sts, object);
        world.run().unwrap_or_else(|e| panic!("{provider:?}: {e}"));
        assert_eq!(hashed(&world), vec![None; 4], "{provider:?}");
    }
}

#[test]
fn an_s3_object_whose_etag_is_not_the_files_parts_fails_typed() {
    let config = Config { concurrency: 1, ..config() };
    let mut world = World::new(SIZE, config, Mode::Sts);
    world.another_tab_replaces_part(2);
    let error = world.run().expect_err("another file's part is in the object");
    assert_eq!(error.code(), "IntegrityError", "{error}");
    assert!(error.to_string().contains("another upload's part"), "{error}");
    assert!(world.checkpoints.is_empty(), "the spent upload's record goes");

    // Under SSE-KMS the object's ETag is formed otherwise: not checked (the parts' Content-MD5 are).
    let kms = Encryption::Kms { key_id: None, context: Vec::new() };
    let object = ObjectSpec { key: KEY.into(), options: ObjectOptions { encryption: Some(kms), ..Default::default() } };
    let mut world = World::with_object(SIZE, config, Mode::Sts, object);
    world.service.opaque_etags = true;
    world.another_tab_replaces_part(2);
    world.run().expect("the ETag says nothing of the parts");
}

/// Whether each part's hash command asked for the MD5, in order.
fn md5_asked(world: &World) -> Vec<(u16, bool)> {
    let offsets = world.log.iter().filter_map(|c| match c {
        Command::Hash { ranges, md5, .. } if ranges.len() == 1 => Some((ranges[0].0, *md5)),
        _ => None,
    });
    offsets.map(|(offset, md5)| (u16::try_from(offset / (5 * MIB)).unwrap_or(0) + 1, md5)).collect()
}

#[test]
fn with_a_flexible_checksum_fresh_parts_skip_md5_and_resumed_parts_are_checked_by_it() {
    let crc = Config { concurrency: 1, ..with(ChecksumAlgorithm::Crc64Nvme) };
    let mut world = World::new(SIZE, crc, Mode::Sts);
    world.run_until(|w| w.events.iter().filter(|e| matches!(e, Event::Part { .. })).count() >= 2);
    assert!(md5_asked(&world).iter().all(|(_, md5)| !md5), "{:?}", md5_asked(&world));
    world.reload(crc);
    world.run().expect("complete");
    // The parts the service holds are hashed with their MD5 (to check them against the file) and
    // kept; only the others are sent, without one.
    let asked = md5_asked(&world);
    let mut checked: Vec<u16> = asked.iter().filter(|(_, md5)| *md5).map(|(n, _)| *n).collect();
    let mut sent = world.parts_sent();
    assert!(checked.len() >= 2, "{asked:?}");
    checked.append(&mut sent);
    checked.sort_unstable();
    assert_eq!(checked, [1, 2, 3, 4], "{asked:?}");

    let mut world = World::new(SIZE, config(), Mode::Sts);
    world.run().expect("complete");
    assert!(md5_asked(&world).iter().all(|(_, md5)| *md5), "Content-MD5 needs it");
}
