//! The app's `credentials` and `presign` callbacks: a throw, a rejection or a call past the
//! callback timeout is retried like a failed request (the call cancelled first), an error that
//! says `retryable: false` is not, and `retry.shouldRetry` may stop any retry.

use crate::server::{CallbackFault, Fault, MIB, Mode, World, config};
use crate::states;
use partwise::Error;
use partwise::actions::Operation;
use partwise::upload::retry::{RetryHook, RetryPolicy};
use partwise::upload::{Command, Config, Event, Input, JobId, TaskState};
use std::cell::RefCell;
use std::rc::Rc;

const SIZE: u64 = 16 * MIB + 3;

fn backend_down() -> CallbackFault {
    CallbackFault::Fail(Error::Credentials { message: "the backend answered 502".into(), retryable: true })
}

fn refused() -> CallbackFault {
    CallbackFault::Fail(Error::Credentials { message: "not signed in".into(), retryable: false })
}

/// The jobs of the `credentials` calls asked for and of those cancelled.
fn credentials_jobs(world: &World) -> (Vec<JobId>, Vec<JobId>) {
    let asked: Vec<JobId> = world
        .log
        .iter()
        .filter_map(|c| if let Command::FetchCredentials { id } = c { Some(*id) } else { None })
        .collect();
    let cancelled =
        world.log.iter().filter_map(|c| if let Command::Cancel(id) = c { Some(*id) } else { None }).collect::<Vec<_>>();
    let cancelled = cancelled.into_iter().filter(|id| asked.contains(id)).collect();
    (asked, cancelled)
}

#[test]
fn a_credentials_callback_that_fails_twice_is_retried_with_backoff() {
    let mut world = World::new(SIZE, config(), Mode::Sts);
    world.credentials_faults.extend([backend_down(), backend_down()]);
    let started = world.now;
    world.run().expect("complete");
    assert_eq!(world.credential_calls, 3);
    let retries = world.retries();
    assert_eq!(retries.len(), 2, "one retry per failed call, not per waiting request: {retries:?}");
    assert!(retries.iter().all(|(part, delay, code)| part.is_none() && *delay >= 250 && code == "CredentialsError"));
    assert!(world.now - started >= retries[0].1 + retries[1].1, "the backoffs were waited out");
}

#[test]
fn a_credentials_error_that_says_retryable_false_fails_at_once() {
    let mut world = World::new(SIZE, config(), Mode::Sts);
    world.credentials_faults.push_back(refused());
    let error = world.run().expect_err("refused");
    assert_eq!((error.code(), error.is_retryable()), ("CredentialsError", false));
    assert_eq!(world.credential_calls, 1);
    assert!(world.retries().is_empty());
    assert!(world.sent.is_empty(), "nothing was sent");
    assert_eq!(states(&world).last(), Some(&TaskState::Failed));
}

#[test]
fn a_credentials_call_past_the_timeout_is_cancelled_and_made_again() {
    let config = Config { callback_timeout_ms: 1_000, ..config() };
    let mut world = World::new(SIZE, config, Mode::Sts);
    world.credentials_faults.push_back(CallbackFault::Hang);
    let started = world.now;
    world.run().expect("complete");
    let (asked, cancelled) = credentials_jobs(&world);
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert_eq!(cancelled, [asked[0]], "the hanging call was cancelled (its signal aborted)");
    assert_ne!(asked[0], asked[1], "a late answer of the first call is told apart");
    assert!(world.now - started > 1_000);
    let retries = world.retries();
    assert_eq!(retries.len(), 1);
    assert_eq!(retries[0].2, "CredentialsError");
}

#[test]
fn credentials_calls_that_keep_failing_fail_the_upload_typed_after_the_retries() {
    let retry = RetryPolicy { attempts: 2, base_delay_ms: 10, max_delay_ms: 20 };
    let mut world = World::new(SIZE, Config { retry, ..config() }, Mode::Sts);
    world.credentials_faults.extend([backend_down(), CallbackFault::Hang, backend_down()]);
    let error = world.run().expect_err("gave up");
    assert_eq!(error.code(), "CredentialsError");
    assert_eq!(world.credential_calls, 3, "the first call and two retries");
    assert_eq!(world.retries().len(), 2);
    assert!(world.sent.is_empty());
}

#[test]
fn a_late_answer_of_a_cancelled_credentials_call_is_ignored() {
    let config = Config { callback_timeout_ms: 1_000, ..config() };
    let mut world = World::new(SIZE, config, Mode::Sts);
    world.credentials_faults.push_back(CallbackFault::Hang);
    assert!(world.run_until(|w| w.retries().len() == 1).is_none(), "stopped after the timeout");
    let (asked, _) = credentials_jobs(&world);
    // The first call answers after all, late: a failure that must not count as a second retry.
    world.input(Input::Credentials {
        id: asked[0],
        result: Err(Error::Credentials { message: "late".into(), retryable: true }),
    });
    world.run().expect("complete");
    assert_eq!(world.retries().len(), 1);
}

#[test]
fn a_presign_callback_that_fails_or_hangs_is_retried_for_its_request() {
    let config = Config { callback_timeout_ms: 1_000, ..config() };
    let mut world = World::new(SIZE, config, Mode::Presigned);
    world.presign_faults.extend([backend_down(), CallbackFault::Hang]);
    world.run().expect("complete");
    let retries = world.retries();
    assert_eq!(retries.len(), 2, "{retries:?}");
    assert!(retries.iter().all(|(_, _, code)| code == "CredentialsError"));
    let presigned: Vec<JobId> =
        world.log.iter().filter_map(|c| if let Command::Presign { id, .. } = c { Some(*id) } else { None }).collect();
    assert!(world.log.contains(&Command::Cancel(presigned[1])), "the hanging presign call was cancelled");
    assert_eq!(world.count(Operation::CreateMultipartUpload), 1);
}

#[test]
fn a_presign_error_that_says_retryable_false_fails_at_once() {
    let mut world = World::new(SIZE, config(), Mode::Presigned);
    world.presign_faults.push_back(refused());
    let error = world.run().expect_err("refused");
    assert_eq!(error.code(), "CredentialsError");
    assert!(world.retries().is_empty() && world.sent.is_empty());
}

/// A hook that records what it is asked and answers `allow`.
fn hook(world: &mut World, allow: bool) -> Rc<RefCell<Vec<(String, u32)>>> {
    let asked = Rc::new(RefCell::new(Vec::new()));
    let seen = asked.clone();
    world.client.retry_hook = Some(RetryHook::new(move |error, attempt| {
        seen.borrow_mut().push((error.code().to_owned(), attempt));
        allow
    }));
    asked
}

#[test]
fn should_retry_is_asked_before_each_retry_and_false_stops_with_the_error() {
    let mut world = World::new(SIZE, config(), Mode::Sts);
    let asked = hook(&mut world, false);
    world.rule(|op, _| (op == Operation::CreateMultipartUpload).then(|| Fault::Answer(503, "SlowDown", Vec::new())));
    let error = world.run().expect_err("stopped");
    assert_eq!(error.provider_code(), Some("SlowDown"));
    assert_eq!(*asked.borrow(), [("ProviderError".to_owned(), 1)]);
    assert_eq!(world.count(Operation::CreateMultipartUpload), 1);
    assert!(world.retries().is_empty());

    let mut world = World::new(SIZE, config(), Mode::Sts);
    let asked = hook(&mut world, false);
    world.credentials_faults.push_back(backend_down());
    assert_eq!(world.run().expect_err("stopped").code(), "CredentialsError");
    assert_eq!(*asked.borrow(), [("CredentialsError".to_owned(), 1)], "callbacks too");
    assert_eq!(world.credential_calls, 1);
}

#[test]
fn should_retry_that_allows_leaves_the_policy_in_charge() {
    let mut world = World::new(SIZE, config(), Mode::Sts);
    let asked = hook(&mut world, true);
    world.credentials_faults.push_back(backend_down());
    let mut faults = vec![Fault::Answer(500, "InternalError", Vec::new()); 2];
    world.rule(move |op, _| if op == Operation::UploadPart { faults.pop() } else { None });
    world.run().expect("complete");
    let codes: Vec<String> = asked.borrow().iter().map(|(code, _)| code.clone()).collect();
    assert_eq!(codes, ["CredentialsError", "ProviderError", "ProviderError"]);
    assert_eq!(world.retries().len(), 3);
    assert!(!world.events.iter().any(|e| matches!(e, Event::State(TaskState::Failed))));
}

#[test]
fn a_pause_leaves_no_credentials_call_running_for_parts_it_cancelled() {
    let mut world = World::new(30 * MIB, config(), Mode::Sts);
    // The first key is refused once its parts are on the wire: the refresh call then hangs.
    world.rule(|op, r| {
        let first_key = r.headers.iter().any(|(n, v)| n == "authorization" && v.contains("key-1/"));
        (op == Operation::UploadPart && first_key).then(|| Fault::Answer(400, "ExpiredToken", Vec::new()))
    });
    assert!(world.run_until(|w| w.credential_calls == 1 && !w.sent.is_empty()).is_none(), "sending parts");
    world.credentials_faults.push_back(CallbackFault::Hang);
    assert!(world.run_until(|w| w.credential_calls == 2).is_none(), "refreshing");
    world.input(Input::Pause);
    world.upload_poll();
    let (asked, cancelled) = credentials_jobs(&world);
    assert_eq!(cancelled, [asked[1]], "paused: nothing waits for the refresh any more");
}

#[test]
fn a_pause_cancels_callback_calls_and_resume_makes_them_again() {
    for mode in [Mode::Sts, Mode::Presigned] {
        let mut world = World::new(SIZE, config(), mode);
        world.credentials_faults.push_back(CallbackFault::Hang);
        world.presign_faults.push_back(CallbackFault::Hang);
        let calling =
            |w: &World| w.log.iter().any(|c| matches!(c, Command::FetchCredentials { .. } | Command::Presign { .. }));
        assert!(world.run_until(calling).is_none(), "the Initiate waits for the app");
        let first = world.log.iter().rev().find_map(|c| match c {
            Command::FetchCredentials { id } | Command::Presign { id, .. } => Some(*id),
            _ => None,
        });
        world.input(Input::Pause);
        world.log.clear();
        world.upload_poll();
        assert_eq!(world.log.first(), first.map(Command::Cancel).as_ref(), "paused: the call's signal aborts");
        let calls = |w: &World| {
            w.log.iter().filter(|c| matches!(c, Command::FetchCredentials { .. } | Command::Presign { .. })).count()
        };
        world.upload_poll();
        assert_eq!(calls(&world), 0, "no call while paused");
        world.input(Input::Resume);
        world.run().expect("complete");
        assert!(calls(&world) >= 1, "called again after the resume");
        assert!(world.retries().is_empty(), "a pause is not a failure");
    }
}

#[test]
fn a_late_presign_answer_after_its_call_was_cancelled_is_ignored() {
    let config = Config { callback_timeout_ms: 1_000, ..config() };
    let mut world = World::new(SIZE, config, Mode::Presigned);
    world.presign_faults.push_back(CallbackFault::Hang);
    assert!(world.run_until(|w| w.retries().len() == 1).is_none(), "timed out");
    let first = world.log.iter().find_map(|c| if let Command::Presign { id, .. } = c { Some(*id) } else { None });
    let late = Error::Credentials { message: "late".into(), retryable: true };
    world.input(Input::Presigned { id: first.expect("presigned"), result: Err(late) });
    world.run().expect("complete");
    assert_eq!(world.retries().len(), 1, "the late answer counted for nothing");
    assert_eq!(world.count(Operation::CreateMultipartUpload), 1);
}
