//! The part scheduler's unit tests: a [`Session`] driven step by step.

use super::*;
use crate::hash::md5;

const MIB: u64 = 1024 * 1024;

fn plan(total: u64) -> PartPlan {
    let profile = crate::provider::Provider::S3.profile();
    PartPlan::new(total, &profile.limits, Some(5 * MIB), profile.default_part_size).expect("plan")
}

fn options(concurrency: usize) -> SessionOptions {
    SessionOptions { concurrency, hashers: 2, checksum: true, md5_etags: true }
}

fn etag(digest: &[u8; 16]) -> String {
    format!("\"{}\"", hex::encode(digest))
}

fn digest(n: u16) -> [u8; 16] {
    md5(&n.to_le_bytes())
}

/// Runs a session to the end, answering every action at once; returns the steps seen.
fn drive(session: &mut Session) -> Vec<Step> {
    let mut seen = Vec::new();
    for _ in 0..1000 {
        let steps = session.next_steps();
        if steps.is_empty() {
            break;
        }
        for action in steps {
            answer(session, &action);
            seen.push(action);
        }
    }
    seen
}

/// Reports `action` as done, as a server storing every part would.
fn answer(session: &mut Session, action: &Step) {
    match action {
        Step::Initiate => session.initiated("id-1".into()),
        Step::Hash(part) => {
            session.hashed(part.number, Some(digest(part.number)));
        }
        Step::Upload { part, md5, .. } => {
            let tag = md5.map_or_else(|| "\"unchecked\"".to_owned(), |d| etag(&d));
            session.uploaded(part.number, tag).expect("etag");
        }
        Step::PutObject { md5 } => session.uploaded(1, etag(&md5.expect("md5"))).expect("etag"),
        Step::Complete { .. } => session.finished(),
    }
}

#[test]
fn a_multipart_upload_runs_to_complete_with_parts_in_order() {
    let mut session = Session::new(plan(37 * MIB + 3), options(4), None);
    let seen = drive(&mut session);
    assert!(session.is_finished());
    assert_eq!(seen.iter().filter(|a| matches!(a, Step::Upload { .. })).count(), 8);
    let Some(Step::Complete { upload_id, parts }) = seen.last() else { panic!("complete last: {seen:?}") };
    assert_eq!(upload_id, "id-1");
    assert_eq!(parts.iter().map(|p| p.part_number).collect::<Vec<_>>(), (1..=8).collect::<Vec<_>>());
    assert_eq!(parts[2].etag, etag(&digest(3)));
}

#[test]
fn a_small_file_goes_up_with_put_object_and_no_initiate() {
    for size in [0, 1, 5 * MIB] {
        let mut session = Session::new(plan(size), options(4), None);
        let seen = drive(&mut session);
        assert!(session.is_finished());
        assert!(matches!(seen.as_slice(), [Step::Hash(_), Step::PutObject { md5: Some(_) }]), "{seen:?}");
    }
}

#[test]
fn uploads_and_hashes_respect_their_limits() {
    let mut session = Session::new(plan(100 * MIB), options(3), None);
    let first = session.next_steps();
    assert_eq!(first[0], Step::Initiate);
    assert_eq!(first.iter().filter(|a| matches!(a, Step::Hash(_))).count(), 2, "two hashers");
    for n in 1..=2 {
        session.hashed(n, Some(digest(n)));
    }
    let second = session.next_steps();
    assert_eq!(second.iter().filter(|a| matches!(a, Step::Hash(_))).count(), 1, "look-ahead of 3");
    assert!(second.iter().all(|a| !matches!(a, Step::Upload { .. })), "nothing is sent before initiate");
    session.initiated("u".into());
    session.hashed(3, Some(digest(3)));
    let third = session.next_steps();
    assert_eq!(third.iter().filter(|a| matches!(a, Step::Upload { .. })).count(), 3);
    assert_eq!(third.iter().filter(|a| matches!(a, Step::Hash(_))).count(), 2, "hashing continues ahead");
}

#[test]
fn pause_hands_out_nothing_and_interrupted_parts_are_sent_again() {
    let mut session = Session::new(plan(20 * MIB), options(2), None);
    session.next_steps();
    session.initiated("u".into());
    session.hashed(1, Some(digest(1)));
    session.hashed(2, Some(digest(2)));
    let sent = session.next_steps();
    assert_eq!(sent.iter().filter(|a| matches!(a, Step::Upload { .. })).count(), 2);
    session.pause();
    for n in 1..=4 {
        session.interrupted(n); // two uploads and two hashes were running
    }
    assert!(session.next_steps().is_empty());
    session.resume();
    let again = session.next_steps();
    assert!(again.contains(&Step::Upload {
        part: session.plan().part(1).expect("1"),
        md5: Some(digest(1)),
        upload_id: "u".into()
    }));
    for action in again {
        match action {
            Step::Upload { part, md5, .. } => session.uploaded(part.number, etag(&md5.expect("md5"))).expect("ok"),
            Step::Hash(part) => _ = session.hashed(part.number, Some(digest(part.number))),
            other => panic!("unexpected {other:?}"),
        }
    }
    let seen = drive(&mut session);
    assert!(session.is_finished(), "{seen:?}");
}

#[test]
fn resumed_parts_that_still_match_the_file_are_not_sent_again() {
    let stored = vec![
        KeptPart { part_number: 1, etag: etag(&digest(1)), md5: None },
        KeptPart { part_number: 2, etag: etag(&md5(b"other bytes")), md5: None },
    ];
    let mut session = Session::new(plan(12 * MIB), options(4), Some(("old".into(), stored)));
    let seen = drive(&mut session);
    let sent: Vec<u16> =
        seen.iter().filter_map(|a| if let Step::Upload { part, .. } = a { Some(part.number) } else { None }).collect();
    assert_eq!(sent, vec![3, 2], "the new part first; part 1 matched the file; part 2 changed");
    assert!(!seen.contains(&Step::Initiate));
    assert!(matches!(seen.last(), Some(Step::Complete { upload_id, .. }) if upload_id == "old"));
}

#[test]
fn a_resume_hashes_new_parts_first_and_checks_kept_parts_with_idle_hashers() {
    let kept: Vec<KeptPart> =
        (1..=1000).map(|n| KeptPart { part_number: n, etag: etag(&digest(n)), md5: None }).collect();
    let mut session = Session::new(plan(5010 * MIB), options(4), Some(("old".into(), kept)));
    let first = session.next_steps();
    assert_eq!(
        first,
        vec![
            Step::Hash(session.plan().part(1001).expect("1001")),
            Step::Hash(session.plan().part(1002).expect("1002"))
        ]
    );
    session.hashed(1001, Some(digest(1001)));
    let second = session.next_steps();
    assert!(second.iter().any(|a| matches!(a, Step::Upload { part, .. } if part.number == 1001)), "{second:?}");
    assert!(second.contains(&Step::Hash(session.plan().part(1).expect("1"))), "an idle hasher checks a kept part");
    for action in first.iter().skip(1).chain(&second) {
        answer(&mut session, action);
    }
    let seen = drive(&mut session);
    let Some(Step::Complete { parts, .. }) = seen.last() else { panic!("complete last") };
    assert_eq!(parts.len(), 1002);
    assert_eq!(seen.iter().filter(|a| matches!(a, Step::Upload { .. })).count(), 1, "part 1002, the last to send");
}

#[test]
fn a_part_whose_etag_is_not_its_md5_is_an_error_and_queued_again() {
    let mut session = Session::new(plan(12 * MIB), options(1), None);
    session.next_steps();
    session.initiated("u".into());
    session.hashed(1, Some(digest(1)));
    let steps = session.next_steps();
    assert!(steps.iter().any(|a| matches!(a, Step::Upload { part, .. } if part.number == 1)));
    let error = session.uploaded(1, etag(&digest(9))).expect_err("mismatch");
    assert_eq!(error.code(), "InvalidResponse");
    assert!(session.uploaded(1, "\"abc-2\"".into()).is_ok(), "non-MD5 ETags cannot be checked");
}

#[test]
fn without_checksums_nothing_is_hashed() {
    let mut session = Session::new(plan(12 * MIB), SessionOptions { checksum: false, ..options(4) }, None);
    let seen = drive(&mut session);
    assert!(seen.iter().all(|a| !matches!(a, Step::Hash(_))));
    assert!(seen.iter().any(|a| matches!(a, Step::Upload { md5: None, .. })));
}
