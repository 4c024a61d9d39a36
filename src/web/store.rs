//! Checkpoints in IndexedDB (through rexie). Records are the core's checkpoint JSON plus an `id`;
//! they hold no credentials, tokens or URLs. Without IndexedDB uploads still work, without resume,
//! and a console warning says so; a record that cannot be read (damaged, cut short, another schema)
//! is ignored with a warning and its upload starts afresh.

use super::warnings::{Warning, warn_once};
use crate::error::{Error, Result};
use crate::upload::checkpoint::Checkpoint;
use rexie::{KeyRange, ObjectStore, Rexie, TransactionMode};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;

const DATABASE: &str = "partwise";
const STORE: &str = "checkpoints";

/// The checkpoint store; opened on first use.
#[derive(Default)]
pub(crate) struct CheckpointStore {
    database: RefCell<Option<Option<Rc<Rexie>>>>,
}

impl std::fmt::Debug for CheckpointStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CheckpointStore")
    }
}

impl CheckpointStore {
    async fn database(&self) -> Option<Rc<Rexie>> {
        if self.database.borrow().is_none() {
            let opened = Rexie::builder(DATABASE)
                .version(1)
                .add_object_store(ObjectStore::new(STORE).key_path("id"))
                .build()
                .await;
            let opened = match opened {
                Ok(db) => Some(Rc::new(db)),
                Err(error) => {
                    warn_once(
                        Warning::NoIndexedDb,
                        &format!("IndexedDB is unavailable ({error}); uploads will not resume after a reload"),
                    );
                    None
                }
            };
            *self.database.borrow_mut() = Some(opened);
        }
        self.database.borrow().clone().flatten()
    }

    /// Saves (or replaces) a checkpoint. Failures only warn: the upload goes on without resume.
    pub(crate) async fn put(&self, checkpoint: &Checkpoint) {
        let Some(db) = self.database().await else { return };
        let outcome = async {
            let record = js_sys::JSON::parse(&checkpoint.to_json()).map_err(|e| e.as_string().unwrap_or_default())?;
            js_sys::Reflect::set(&record, &"id".into(), &checkpoint.id().into()).map_err(|_| "set id".to_owned())?;
            let tx = db.transaction(&[STORE], TransactionMode::ReadWrite).map_err(|e| e.to_string())?;
            tx.store(STORE).map_err(|e| e.to_string())?.put(&record, None).await.map_err(|e| e.to_string())?;
            tx.done().await.map_err(|e| e.to_string())?;
            Ok::<(), String>(())
        };
        if let Err(error) = outcome.await {
            warn_once(
                Warning::NotSaved,
                &format!("a checkpoint could not be saved ({error}); this upload may not resume after a reload"),
            );
        }
    }

    /// The readable stored checkpoints whose id starts with `prefix` (a destination's records).
    pub(crate) async fn starting_with(&self, prefix: &str) -> Vec<Checkpoint> {
        let Some(db) = self.database().await else { return Vec::new() };
        let records = async {
            // Every string that starts with `prefix` sorts between it and `prefix` + U+FFFF.
            let range = KeyRange::bound(&prefix.into(), &format!("{prefix}\u{ffff}").into(), None, None).ok()?;
            let tx = db.transaction(&[STORE], TransactionMode::ReadOnly).ok()?;
            tx.store(STORE).ok()?.get_all(Some(range), None).await.ok()
        };
        records.await.unwrap_or_default().iter().filter_map(readable).collect()
    }

    /// Deletes the checkpoint with `id`.
    pub(crate) async fn delete(&self, id: &str) {
        let Some(db) = self.database().await else { return };
        let outcome = async {
            let tx = db.transaction(&[STORE], TransactionMode::ReadWrite).ok()?;
            tx.store(STORE).ok()?.delete(JsValue::from_str(id)).await.ok()?;
            tx.done().await.ok()
        };
        let _ = outcome.await;
    }

    /// Every stored checkpoint that can be read.
    pub(crate) async fn all(&self) -> Vec<Checkpoint> {
        let Some(db) = self.database().await else { return Vec::new() };
        let records = async {
            let tx = db.transaction(&[STORE], TransactionMode::ReadOnly).ok()?;
            tx.store(STORE).ok()?.get_all(None, None).await.ok()
        };
        records.await.unwrap_or_default().iter().filter_map(readable).collect()
    }
}

/// The checkpoint in a record; an unreadable record is ignored with a warning.
fn readable(value: &JsValue) -> Option<Checkpoint> {
    from_record(value)
        .map_err(|error| warn_once(Warning::Unreadable, &format!("a stored checkpoint was ignored: {error}")))
        .ok()
}

fn from_record(value: &JsValue) -> Result<Checkpoint> {
    let text = js_sys::JSON::stringify(value).ok().and_then(|t| t.as_string());
    Checkpoint::from_json(&text.ok_or_else(|| Error::Checkpoint { reason: "not JSON".into() })?)
}
