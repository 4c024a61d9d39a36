//! Many tabs: a second tab uploading the same file to the same key waits for the first (Web
//! Locks) and resumes its upload; a different file to a key with a stored upload replaces it;
//! without Web Locks, the parts are checked on the server before Complete.

use super::{interrupted, states};
use crate::server::{self, Fault, World};
use partwise::actions::Operation;
use partwise::upload::{Event, Input, TaskState};

/// The stored upload's id.
fn stored_upload(world: &World) -> String {
    world.checkpoints.values().next().expect("a record").upload_id.clone()
}

fn replaced(world: &World) -> Vec<(String, String)> {
    let events = world.events.iter();
    events
        .filter_map(|e| {
            if let Event::Replaced { key, upload_id } = e { Some((key.clone(), upload_id.clone())) } else { None }
        })
        .collect()
}

#[test]
fn a_second_tab_waits_for_the_first_then_sends_only_what_it_left() {
    // The first tab stored two parts and holds the lock; this tab reloads the same file.
    let mut world = interrupted(2);
    let record = world.checkpoints.values().next().expect("a record").clone();
    world.lock_held_elsewhere = true;
    world.locks.clear();
    world.run_until(|w| states(w).contains(&TaskState::Waiting));
    assert_eq!(world.locks, [format!("partwise:{}", record.id())], "one lock per bucket, key and file");
    assert!(world.sent.is_empty(), "nothing is sent while waiting: {:?}", world.sent);
    // The first tab closed (or paused and left): the lock is this tab's.
    world.input(Input::Locked);
    world.run().expect("complete");
    assert_eq!(world.count(Operation::CreateMultipartUpload), 0, "the first tab's upload goes on");
    let sent = world.parts_sent();
    assert!(sent.contains(&4) && !sent.contains(&1) && !sent.contains(&2), "parts stored before are kept: {sent:?}");
    assert_eq!(states(&world), [TaskState::Uploading, TaskState::Waiting, TaskState::Uploading, TaskState::Complete]);
}

#[test]
fn a_paused_waiting_upload_stays_paused_when_the_lock_comes() {
    let mut world = interrupted(2);
    world.lock_held_elsewhere = true;
    world.run_until(|w| states(w).contains(&TaskState::Waiting));
    world.input(Input::Pause);
    world.lock_held_elsewhere = false;
    world.input(Input::Locked);
    world.run_until(|w| w.count(Operation::ListParts) >= 1);
    world.input(Input::Resume);
    world.run().expect("complete");
    assert_eq!(
        states(&world),
        [TaskState::Uploading, TaskState::Waiting, TaskState::Paused, TaskState::Uploading, TaskState::Complete]
    );
}

/// A world paused after two stored parts of a fresh upload (one part at a time).
fn paused_after_two_parts() -> World {
    let mut world =
        World::new(super::SIZE, partwise::upload::Config { concurrency: 1, ..server::config() }, server::Mode::Sts);
    world.run_until(|w| w.events.iter().filter(|e| matches!(e, Event::Part { .. })).count() >= 2);
    world.input(Input::Pause);
    world.sent.clear();
    world
}

#[test]
fn a_paused_upload_lets_its_lock_go_and_takes_it_back_unchanged() {
    let mut world = paused_after_two_parts();
    assert_eq!(world.unlocks, world.locks, "paused, the lock is let go");
    world.input(Input::Resume);
    world.run().expect("complete");
    assert_eq!(world.locks.len(), 2, "taken again on resume");
    assert_eq!(world.count(Operation::ListParts), 0, "the record is unchanged: the upload goes on as it was");
    assert_eq!(world.count(Operation::CreateMultipartUpload), 0, "counted since the pause");
    assert_eq!(world.parts_sent(), [3, 4]);
}

#[test]
fn a_resume_after_another_tab_went_on_keeps_what_it_stored() {
    let mut world = paused_after_two_parts();
    // Meanwhile another tab stored part 3 and recorded it.
    let etag = format!("\"{}\"", hex::encode(world.file.digest(&[(10 * server::MIB, 5 * server::MIB)])));
    let upload_id = stored_upload(&world);
    world.service.uploads.get_mut(&upload_id).expect("upload").parts.insert(3, (etag.clone(), 5 * server::MIB));
    let record = world.checkpoints.values_mut().next().expect("record");
    record.parts.push(partwise::upload::checkpoint::DonePart {
        number: 3,
        size: 5 * server::MIB,
        etag,
        md5: None,
        checksum: None,
    });
    world.lock_held_elsewhere = true;
    world.input(Input::Resume);
    world.run_until(|w| states(w).ends_with(&[TaskState::Waiting]));
    world.lock_held_elsewhere = false;
    world.input(Input::Locked);
    world.run().expect("complete");
    assert_eq!(world.count(Operation::ListParts), 1, "the changed record is checked with the service");
    assert_eq!(world.parts_sent(), [4], "part 3, stored by the other tab, is kept");
    assert_eq!(
        states(&world),
        [
            TaskState::Uploading,
            TaskState::Paused,
            TaskState::Uploading,
            TaskState::Waiting,
            TaskState::Uploading,
            TaskState::Complete
        ]
    );
}

#[test]
fn a_resume_after_another_tab_finished_uploads_anew() {
    let mut world = paused_after_two_parts();
    world.checkpoints.clear();
    world.service.uploads.clear();
    world.input(Input::Resume);
    world.run().expect("complete");
    assert_eq!(world.count(Operation::CreateMultipartUpload), 1, "the old upload is gone: a new one");
    assert_eq!(world.parts_sent(), [1, 2, 3, 4]);
}

#[test]
fn an_abort_while_waiting_leaves_the_other_tabs_upload_alone() {
    let mut world = interrupted(2);
    let upload_id = stored_upload(&world);
    world.lock_held_elsewhere = true;
    world.run_until(|w| states(w).contains(&TaskState::Waiting));
    world.input(Input::Abort);
    assert_eq!(world.run().expect_err("aborted").code(), "Aborted");
    assert!(world.service.uploads.contains_key(&upload_id), "the first tab's upload is its own");
    assert_eq!(world.checkpoints.len(), 1);
}

#[test]
fn another_file_to_the_key_aborts_the_stored_upload_and_says_so() {
    let mut world = interrupted(2);
    let old = stored_upload(&world);
    world.file.changed = vec![0]; // other bytes: another fingerprint
    let result = world.run().expect("complete");
    assert_eq!(replaced(&world), [(server::KEY.to_owned(), old.clone())]);
    assert!(!world.service.uploads.contains_key(&old), "the old upload is gone from the server");
    assert_ne!(result.upload_id.as_deref(), Some(old.as_str()), "the new file has an upload of its own");
    assert_eq!(world.count(Operation::AbortMultipartUpload), 1);
    assert_eq!(world.count(Operation::CreateMultipartUpload), 1);
    assert_eq!(world.parts_sent().len(), 4);
    assert!(world.checkpoints.is_empty(), "the old record went with its upload, the new one on success");
}

#[test]
fn a_replaced_upload_already_gone_is_reported_too() {
    let mut world = interrupted(2);
    let old = stored_upload(&world);
    world.service.uploads.clear();
    world.file.changed = vec![0];
    world.run().expect("complete");
    assert_eq!(replaced(&world), [(server::KEY.to_owned(), old)]);
    assert!(world.checkpoints.is_empty());
}

#[test]
fn a_replace_the_server_refuses_keeps_the_old_record_and_goes_on() {
    let mut world = interrupted(2);
    let old = stored_upload(&world);
    world.rule(|op, _| (op == Operation::AbortMultipartUpload).then(|| Fault::Answer(403, "AccessDenied", Vec::new())));
    world.file.changed = vec![0];
    world.run().expect("the new file is stored");
    assert!(replaced(&world).is_empty());
    let kept: Vec<_> = world.checkpoints.values().map(|c| c.upload_id.clone()).collect();
    assert_eq!(kept, [old], "the old record stays, for checkpoints() to list and abort");
}

#[test]
fn records_of_other_keys_are_not_touched() {
    let mut world = interrupted(2);
    let mut other = world.checkpoints.values().next().expect("a record").clone();
    world.checkpoints.clear();
    other.key = format!("{}2", server::KEY);
    world.checkpoints.insert(other.id(), other.clone());
    world.file.changed = vec![0];
    world.run().expect("complete");
    assert!(replaced(&world).is_empty());
    assert_eq!(world.count(Operation::AbortMultipartUpload), 0);
    assert!(world.checkpoints.contains_key(&other.id()));
}

#[test]
fn an_abort_while_replacing_aborts_the_old_upload_and_ends() {
    let mut world = interrupted(2);
    let old = stored_upload(&world);
    world.file.changed = vec![0];
    world.rule(|op, _| (op == Operation::AbortMultipartUpload).then_some(Fault::Stall));
    world.run_until(|w| w.count(Operation::AbortMultipartUpload) >= 1);
    world.rules.clear();
    world.input(Input::Abort);
    assert_eq!(world.run().expect_err("aborted").code(), "Aborted");
    assert!(!world.service.uploads.contains_key(&old));
    assert_eq!(world.count(Operation::CreateMultipartUpload), 0);
}

#[test]
fn without_web_locks_the_parts_are_checked_before_complete() {
    let config = partwise::upload::Config { concurrency: 1, ..server::config() };
    let mut world = World::new(super::SIZE, config, server::Mode::Sts);
    world.no_web_locks = true;
    world.another_tab_replaces_part(2);
    let error = world.run().expect_err("part 2 is another file's");
    assert_eq!(error.code(), "IntegrityError", "{error}");
    assert!(error.to_string().contains("part 2"), "{error}");
    assert_eq!(world.count(Operation::CompleteMultipartUpload), 0, "never completed with another file's part");
    assert_eq!(world.checkpoints.len(), 1, "the checkpoint stays: a resume sends part 2 again");

    // The same upload untouched: one listing, then Complete.
    let mut world = World::new(super::SIZE, config, server::Mode::Sts);
    world.no_web_locks = true;
    world.run().expect("complete");
    assert_eq!((world.count(Operation::ListParts), world.count(Operation::CompleteMultipartUpload)), (1, 1));

    // With Web Locks no other tab can take the upload: no listing.
    let mut world = World::new(super::SIZE, config, server::Mode::Sts);
    world.run().expect("complete");
    assert_eq!(world.count(Operation::ListParts), 0);
}
