//! The upload machine's decisions, natively, against a scripted service: every scenario the
//! browser suites check that is a decision rather than I/O.
#![cfg(not(target_arch = "wasm32"))]

mod budget;
mod callbacks;
mod checksums;
mod encryption;
mod server;
mod tabs;

use partwise::Provider;
use partwise::actions::{ContentDisposition, DispositionType, ObjectOptions, Operation};
use partwise::upload::{Command, Config, Event, Input, ObjectSpec, TaskState, Upload};
use server::{Fault, MIB, Mode, World, config};

/// 3 parts of 5 MiB and a last one.
const SIZE: u64 = 16 * MIB + 3;

fn states(world: &World) -> Vec<TaskState> {
    world.events.iter().filter_map(|e| if let Event::State(s) = e { Some(*s) } else { None }).collect()
}

#[test]
fn a_file_goes_up_in_parts_and_the_object_holds_it() {
    for mode in [Mode::Sts, Mode::Presigned] {
        let mut world = World::new(SIZE, config(), mode);
        let result = world.run().expect("complete");
        assert_eq!((result.parts, result.size, result.upload_id.as_deref()), (4, SIZE, Some("u1")));
        let (size, etag) = world.service.objects.get(server::KEY).expect("stored");
        assert_eq!((*size, etag), (SIZE, &result.etag));
        assert_eq!(world.parts_sent().len(), 4);
        assert!(world.checkpoints.is_empty(), "the checkpoint goes with success");
        assert_eq!(states(&world), [TaskState::Uploading, TaskState::Complete]);
        let last = world.events.iter().rev().find_map(|e| if let Event::Progress(p) = e { Some(*p) } else { None });
        assert_eq!(last.map(|p| (p.loaded, p.parts_done)), Some((SIZE, 4)));
        assert!(world.upload.stats().max_parts_in_flight <= 4);
    }
}

#[test]
fn a_small_file_is_one_put_object() {
    for size in [0, 1, 5 * MIB] {
        let mut world = World::new(size, config(), Mode::Sts);
        let result = world.run().expect("complete");
        assert_eq!((result.upload_id, result.parts), (None, 1));
        assert_eq!(world.count(Operation::PutObject), 1);
        assert_eq!(world.count(Operation::CreateMultipartUpload), 0);
    }
}

#[test]
fn throttling_and_server_errors_are_retried_with_backoff_honouring_retry_after() {
    let mut world = World::new(SIZE, config(), Mode::Sts);
    let mut faults = vec![
        Fault::Answer(503, "SlowDown", vec![("retry-after", "2".into())]),
        Fault::Answer(429, "TooManyRequests", Vec::new()),
        Fault::Answer(500, "InternalError", Vec::new()),
    ];
    world.rule(move |op, _| if op == Operation::UploadPart { faults.pop() } else { None });
    world.run().expect("complete");
    let retries = world.retries();
    assert_eq!(retries.len(), 3, "{retries:?}");
    assert!(retries.iter().all(|(part, delay, code)| part.is_some() && *delay >= 250 && code == "ProviderError"));
    assert_eq!(retries[2].1, 2_000, "Retry-After: 2 is waited for");
}

#[test]
fn a_stalled_part_is_cancelled_and_sent_again() {
    let mut world = World::new(SIZE, config(), Mode::Sts);
    let mut stalls = 1;
    world.rule(move |op, r| {
        (op == Operation::UploadPart && r.url.contains("partNumber=2&") && stalls > 0).then(|| {
            stalls -= 1;
            Fault::Stall
        })
    });
    let started = world.now;
    world.run().expect("complete");
    assert!(world.log.iter().any(|c| matches!(c, Command::Cancel(_))), "the stalled request is cancelled");
    assert_eq!(world.parts_sent().iter().filter(|n| **n == 2).count(), 2);
    assert!(world.now - started >= 30_000, "after the stall timeout");
    assert_eq!(world.retries()[0].2, "NetworkError");
}

#[test]
fn a_refused_connection_is_retried_and_a_wrong_secret_is_not() {
    let mut world = World::new(SIZE, config(), Mode::Sts);
    let mut lost = 2;
    world.rule(move |_, _| {
        (lost > 0).then(|| {
            lost -= 1;
            Fault::Lost { performed: false, offline: false }
        })
    });
    world.run().expect("complete");
    assert_eq!(world.retries().len(), 2);

    let mut world = World::new(SIZE, config(), Mode::Sts);
    world.rule(|op, _| (op == Operation::UploadPart).then(|| Fault::Answer(403, "SignatureDoesNotMatch", Vec::new())));
    let error = world.run().expect_err("refused");
    assert_eq!(
        (error.code(), error.provider_code(), error.request_id()),
        ("ProviderError", Some("SignatureDoesNotMatch"), Some("req-1"))
    );
    assert!(world.retries().is_empty(), "no retry storm");
    assert!(world.count(Operation::UploadPart) <= 4);
    assert_eq!(world.checkpoints.len(), 1, "the checkpoint stays for a later resume");
    assert_eq!(states(&world).last(), Some(&TaskState::Failed));
}

#[test]
fn expired_credentials_are_refreshed_once_for_every_part_in_flight() {
    // AWS says ExpiredToken; SeaweedFS answers an expired STS session with 403 InvalidAccessKeyId.
    for (status, code) in [(400, "ExpiredToken"), (403, "InvalidAccessKeyId")] {
        let mut world = World::new(30 * MIB, config(), Mode::Sts);
        world.rule(move |op, r| {
            let first_key = r.headers.iter().any(|(n, v)| n == "authorization" && v.contains("key-1/"));
            (op == Operation::UploadPart && first_key).then(|| Fault::Answer(status, code, Vec::new()))
        });
        world.run().expect(code);
        assert_eq!(world.credential_calls, 2, "{code}: one call at the start, one shared refresh");
        assert!(world.retries().len() >= 2, "{code}: several parts were refused: {:?}", world.retries());
    }
}

#[test]
fn credentials_are_fetched_again_before_they_expire() {
    let mut world = World::new(SIZE, config(), Mode::Sts);
    world.credentials_lifetime_s = Some(20);
    let mut slow = true;
    world.rule(move |op, _| {
        (op == Operation::UploadPart && std::mem::take(&mut slow))
            .then(|| Fault::Answer(503, "SlowDown", vec![("retry-after", "20".into())]))
    });
    world.run().expect("complete");
    assert!(world.credential_calls >= 2, "refreshed ahead of expiry");
    assert!(world.retries().iter().all(|(_, _, code)| code == "ProviderError"), "never refused as expired");
}

#[test]
fn a_skewed_clock_is_corrected_from_the_date_header() {
    for error_s in [-7200, 7200] {
        let mut world = World::new(SIZE, config(), Mode::Sts);
        world.client_clock_error_s = error_s;
        world.credentials_lifetime_s = Some(3600);
        world.run().expect("complete");
        assert_eq!(world.credential_calls, 1, "credentials that look expired by a wrong clock are still used");
        assert_eq!(world.client.clock_offset, error_s);
        assert_eq!(world.retries().len(), 1, "the first request corrects the clock for all");
    }
}

#[test]
fn offline_requests_wait_for_the_network_without_counting_retries() {
    let mut world = World::new(SIZE, config(), Mode::Sts);
    world.offline_until = Some(server::START_MS + 10_000);
    world.run().expect("complete");
    assert!(world.log.contains(&Command::WaitOnline));
    assert!(world.retries().is_empty(), "waiting offline is not a retry: {:?}", world.retries());
    assert!(world.now >= server::START_MS + 10_000);
}

#[test]
fn pause_cancels_parts_in_flight_and_resume_sends_them_again() {
    let mut world = World::new(SIZE, config(), Mode::Sts);
    let paused = world.run_until(|w| w.count(Operation::UploadPart) >= 2);
    assert!(paused.is_none());
    world.input(Input::Pause);
    assert!(world.log.iter().any(|c| matches!(c, Command::Cancel(_))));
    let sent = world.count(Operation::UploadPart);
    let idle = world.upload_poll();
    assert!(idle.iter().all(|c| !matches!(c, Command::Send { .. } | Command::Hash { .. })), "{idle:?}");
    assert_eq!(world.count(Operation::UploadPart), sent);
    world.input(Input::Resume);
    world.run().expect("complete");
    assert_eq!(states(&world), [TaskState::Uploading, TaskState::Paused, TaskState::Uploading, TaskState::Complete]);
}

#[test]
fn abort_aborts_on_the_server_first_then_forgets_the_checkpoint() {
    let mut world = World::new(SIZE, config(), Mode::Sts);
    world.run_until(|w| w.upload.stats().part_requests >= 2 && !w.checkpoints.is_empty());
    world.input(Input::Abort);
    let error = world.run().expect_err("aborted");
    assert_eq!(error.code(), "Aborted");
    assert!(world.service.uploads.is_empty(), "aborted on the server");
    assert!(world.checkpoints.is_empty());
    let abort_sent = world
        .log
        .iter()
        .position(|c| matches!(c, Command::Send { request, .. } if request.method == partwise::http::Method::Delete));
    let forgotten = world.log.iter().position(|c| matches!(c, Command::DeleteCheckpoint(_)));
    assert!(abort_sent < forgotten, "server abort before the checkpoint goes");
    assert_eq!(states(&world).last(), Some(&TaskState::Aborted));
}

#[test]
fn an_abort_the_server_refuses_keeps_the_checkpoint_and_says_so() {
    let mut world = World::new(SIZE, config(), Mode::Sts);
    world.rule(|op, _| (op == Operation::AbortMultipartUpload).then(|| Fault::Answer(403, "AccessDenied", Vec::new())));
    world.run_until(|w| !w.checkpoints.is_empty());
    world.input(Input::Abort);
    let error = world.run().expect_err("failed");
    assert_eq!(error.provider_code(), Some("AccessDenied"));
    assert!(error.to_string().contains("checkpoint is kept"), "{error}");
    assert_eq!(world.checkpoints.len(), 1);
}

#[test]
fn an_abort_that_races_a_performed_complete_reports_the_object() {
    let mut world = World::new(SIZE, config(), Mode::Sts);
    world.run_until(|w| w.log.iter().any(|c| matches!(c, Command::Send { request, .. } if request.method == partwise::http::Method::Post && request.url.contains("uploadId"))));
    world.input(Input::Abort);
    let result = world.run().expect("the object was stored");
    assert_eq!(result.size, SIZE);
    assert_eq!(states(&world).last(), Some(&TaskState::Complete));
}

/// Runs a first upload that stops after `parts` stored parts, then reloads.
fn interrupted(parts: usize) -> World {
    let mut world = World::new(SIZE, Config { concurrency: 1, ..config() }, Mode::Sts);
    world.run_until(|w| w.events.iter().filter(|e| matches!(e, Event::Part { .. })).count() >= parts);
    world.reload(config());
    world
}

#[test]
fn a_resume_keeps_matching_parts_and_sends_changed_and_missing_ones() {
    let mut world = interrupted(2);
    world.file.changed = vec![5 * MIB]; // part 2's bytes are different now
    world.service.list_page = 1; // ListParts answers one part per page
    world.run().expect("complete");
    assert_eq!(world.count(Operation::CreateMultipartUpload), 0, "the same upload goes on");
    assert_eq!(world.count(Operation::ListParts), 3, "every page");
    let sent = world.parts_sent();
    assert!(!sent.contains(&1), "part 1 matched the file: {sent:?}");
    assert!(sent.contains(&2) && sent.contains(&4), "part 2 changed, part 4 was missing: {sent:?}");
}

#[test]
fn a_resume_keeps_parts_the_service_has_but_the_checkpoint_missed() {
    let mut world = interrupted(2);
    let etag = format!("\"{}\"", hex::encode(world.file.digest(&[(10 * MIB, 5 * MIB)])));
    let id = world.checkpoints.values().next().expect("record").upload_id.clone();
    world.service.uploads.get_mut(&id).expect("upload").parts.insert(3, (etag, 5 * MIB));
    world.run().expect("complete");
    assert_eq!(world.parts_sent(), [4]);
}

#[test]
fn a_resume_whose_upload_is_gone_starts_over() {
    let mut world = interrupted(2);
    world.service.uploads.clear();
    world.run().expect("complete");
    assert_eq!(world.count(Operation::CreateMultipartUpload), 1);
    assert_eq!(world.parts_sent().len(), 4);
}

#[test]
fn a_hidden_etag_fails_at_once_and_keeps_the_checkpoint() {
    let mut world = World::new(SIZE, config(), Mode::Sts);
    world.rule(|op, _| (op == Operation::UploadPart).then_some(Fault::HideEtag));
    let error = world.run().expect_err("hidden");
    assert_eq!(error.code(), "EtagNotExposed");
    assert!(world.retries().is_empty());
    assert_eq!(world.checkpoints.len(), 1);
}

#[test]
fn a_complete_answered_200_with_an_error_body_is_retried() {
    let mut world = World::new(SIZE, config(), Mode::Sts);
    let mut once = true;
    world.rule(move |op, _| {
        (op == Operation::CompleteMultipartUpload && std::mem::take(&mut once))
            .then_some(Fault::ErrorIn200("InternalError"))
    });
    world.run().expect("complete");
    assert_eq!(world.retries().len(), 1);
    assert_eq!(world.count(Operation::CompleteMultipartUpload), 2);
    assert_eq!(world.count(Operation::HeadObject), 0, "an error answer leaves no doubt about the outcome");
}

/// A world whose service carries out the first Complete but loses its answer.
fn complete_answer_lost() -> World {
    let mut world = World::new(SIZE, config(), Mode::Sts);
    let mut once = true;
    world.rule(move |op, _| {
        (op == Operation::CompleteMultipartUpload && std::mem::take(&mut once))
            .then_some(Fault::Lost { performed: true, offline: false })
    });
    world
}

#[test]
fn a_complete_whose_answer_was_lost_is_checked_on_the_object() {
    let mut world = complete_answer_lost();
    let result = world.run().expect("the object holds the file");
    assert_eq!(world.count(Operation::HeadObject), 1);
    assert_eq!(&result.etag, &world.service.objects[server::KEY].1);
}

#[test]
fn a_lost_complete_whose_object_differs_is_an_error() {
    let mut world = complete_answer_lost();
    world.rule(|op, _| (op == Operation::HeadObject).then(|| Fault::Answer(404, "NoSuchKey", Vec::new())));
    let error = world.run().expect_err("not stored");
    assert_eq!(error.provider_code(), Some("NoSuchUpload"));
}

#[test]
fn a_file_the_browser_cannot_read_fails_typed_without_retries() {
    let mut world = interrupted(2);
    world.hash_error = Some(partwise::Error::Browser { message: "NotReadableError: the file changed".into() });
    let error = world.run().expect_err("unreadable");
    assert_eq!((error.code(), error.is_retryable()), ("BrowserError", false));
    assert!(world.retries().is_empty(), "not retried as if the network were at fault");
    assert_eq!(world.checkpoints.len(), 1, "the checkpoint stays");
}

#[test]
fn a_presigned_url_that_is_not_the_requests_own_is_refused_before_anything_is_sent() {
    type Answer = fn(String) -> String;
    let answers: [(&str, Answer); 3] = [
        ("not a URL", |_| "not a url".into()),
        ("a relative URL", |url| url.replacen("http://127.0.0.1:9000", "", 1)),
        ("part 1 and 2 swapped", |url| {
            if url.contains("partNumber=1&") {
                url.replacen("partNumber=1&", "partNumber=2&", 1)
            } else {
                url.replacen("partNumber=2&", "partNumber=1&", 1)
            }
        }),
    ];
    for (case, answer) in answers {
        let mut world = World::new(SIZE, config(), Mode::Presigned);
        let parts_only = case.contains("swapped");
        world.presign_answer =
            Some(Box::new(move |op, url| if parts_only && op != Operation::UploadPart { url } else { answer(url) }));
        let error = world.run().expect_err(case);
        assert_eq!(error.code(), "CredentialsError", "{case}: {error}");
        assert_eq!(world.count(Operation::UploadPart), 0, "{case}: no part went anywhere");
        assert!(world.retries().is_empty(), "{case}");
    }
}

#[test]
fn credentials_an_app_answers_again_unchanged_are_used_until_refused() {
    // An app that caches its STS keys answers the same ones when partwise asks ahead of expiry.
    let mut world = World::new(SIZE, config(), Mode::Sts);
    world.credentials_lifetime_s = Some(600);
    world.cached_credentials = Some(None);
    world.run_until(|w| w.count(Operation::UploadPart) >= 1);
    world.now += 460_000; // past the refresh margin, still uploading
    world.run().expect("complete");
    assert_eq!(world.credential_calls, 2, "asked once ahead of expiry, not in a loop");
}

#[test]
fn a_complete_carried_out_as_the_browser_went_offline_is_checked_on_the_object() {
    let mut world = World::new(SIZE, config(), Mode::Sts);
    let mut once = true;
    world.rule(move |op, _| {
        (op == Operation::CompleteMultipartUpload && std::mem::take(&mut once))
            .then_some(Fault::Lost { performed: true, offline: true })
    });
    world.run_until(|w| w.log.contains(&Command::WaitOnline));
    world.offline_until = Some(world.now + 1_000);
    world.run().expect("the object holds the file");
    assert_eq!(world.count(Operation::HeadObject), 1);
}

#[test]
fn an_abort_before_the_stored_upload_is_known_aborts_it_once_it_is() {
    for (moment, reached) in [
        ("fingerprinting", (|w: &World| w.log.iter().any(|c| matches!(c, Command::Hash { .. }))) as fn(&World) -> bool),
        ("loading the checkpoint", |w| w.log.iter().any(|c| matches!(c, Command::LoadCheckpoints { .. }))),
        ("listing its parts", |w| w.count(Operation::ListParts) >= 1),
    ] {
        let mut world = interrupted(2);
        world.run_until(reached);
        world.input(Input::Abort);
        assert_eq!(world.run().expect_err("aborted").code(), "Aborted", "{moment}");
        assert!(world.service.uploads.is_empty(), "{moment}: the stored upload is aborted on the server");
        assert!(world.checkpoints.is_empty(), "{moment}: then its checkpoint goes");
    }
}

#[test]
fn a_request_that_is_never_answered_is_cancelled_and_sent_again() {
    let mut world = World::new(SIZE, config(), Mode::Sts);
    let mut once = true;
    world.rule(move |op, _| {
        (op == Operation::CreateMultipartUpload && std::mem::take(&mut once)).then_some(Fault::Stall)
    });
    let started = world.now;
    world.run().expect("complete");
    assert_eq!(world.count(Operation::CreateMultipartUpload), 2);
    assert!(world.now - started >= Config::default().answer_timeout_ms, "after the answer timeout");
    assert_eq!(world.retries()[0].2, "NetworkError");
}

/// The headers of each request the machine built for `operation` (presigned or signed).
fn headers_of(world: &World, operation: Operation) -> Vec<Vec<(String, String)>> {
    world
        .log
        .iter()
        .filter_map(|c| match c {
            Command::Presign { operation: op, request, .. } if *op == operation => Some(request.headers.clone()),
            Command::Send { request, .. } if server::operation_of(request) == operation => {
                Some(request.headers.clone())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn object_options_go_on_initiate_and_put_object_in_both_modes() {
    let options = ObjectOptions {
        content_disposition: Some(ContentDisposition::File {
            kind: DispositionType::Inline,
            filename: "图.png".into(),
        }),
        storage_class: Some("STANDARD_IA".into()),
        tagging: vec![("team".into(), "a b".into())],
        metadata: vec![("title".into(), "é".into())],
        ..ObjectOptions::default()
    };
    let expected = [
        ("content-disposition", "inline; filename=\"_.png\"; filename*=UTF-8''%E5%9B%BE.png"),
        ("x-amz-storage-class", "STANDARD_IA"),
        ("x-amz-tagging", "team=a%20b"),
        ("x-amz-meta-title", "=?UTF-8?B?w6k=?="),
    ];
    for (size, creates) in [(SIZE, Operation::CreateMultipartUpload), (1, Operation::PutObject)] {
        for mode in [Mode::Sts, Mode::Presigned] {
            let object = ObjectSpec { key: server::KEY.into(), options: options.clone() };
            let mut world = World::with_object(size, config(), mode, object);
            world.run().expect("complete");
            let created = headers_of(&world, creates);
            assert!(!created.is_empty(), "{creates:?} was built");
            for headers in created {
                for (name, value) in expected {
                    assert!(headers.contains(&(name.into(), value.into())), "{creates:?} lacks {name}: {headers:?}");
                }
            }
            for headers in headers_of(&world, Operation::UploadPart) {
                assert!(!headers.iter().any(|(n, _)| n == "x-amz-storage-class"), "parts carry no object options");
            }
        }
    }
}

#[test]
fn an_option_the_service_lacks_fails_before_anything_is_sent() {
    let object = ObjectSpec {
        key: server::KEY.into(),
        options: ObjectOptions { acl: Some("private".into()), ..ObjectOptions::default() },
    };
    let mut client = server::client_of(Provider::Nos, Mode::Sts);
    let refused = Upload::new(config(), &mut client, object, server::file_info(SIZE), 2, server::START_MS, 7)
        .expect_err("NOS has no ACL header");
    assert_eq!(refused.code(), "InvalidInput");
    assert_eq!(refused.to_string(), "invalid acl: is not supported by nos");
}
