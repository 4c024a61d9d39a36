//! Checkpoints in IndexedDB (through web-sys). Records are the core's checkpoint JSON plus an `id`;
//! they hold no credentials, tokens or URLs. Without IndexedDB uploads still work, without resume,
//! and a console warning says so; a record that cannot be read (damaged, cut short, another schema)
//! is ignored with a warning and its upload starts afresh.

use super::errors::describe;
use super::warnings::{Warning, warn_once};
use crate::error::{Error, Result};
use crate::upload::checkpoint::Checkpoint;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbFactory, IdbKeyRange, IdbObjectStore, IdbObjectStoreParameters, IdbOpenDbRequest};
use web_sys::{IdbRequest, IdbTransaction, IdbTransactionMode};

const DATABASE: &str = "partwise";
const STORE: &str = "checkpoints";

/// The checkpoint store; opened on first use.
#[derive(Default)]
pub(crate) struct CheckpointStore {
    database: RefCell<Option<Option<Rc<IdbDatabase>>>>,
}

impl std::fmt::Debug for CheckpointStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CheckpointStore")
    }
}

impl CheckpointStore {
    async fn database(&self) -> Option<Rc<IdbDatabase>> {
        if self.database.borrow().is_none() {
            let opened = match open().await {
                Ok(db) => Some(Rc::new(db)),
                Err(error) => {
                    warn_once(
                        Warning::NoIndexedDb,
                        &format!(
                            "IndexedDB is unavailable ({}); uploads will not resume after a reload",
                            describe(&error)
                        ),
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
            let record = js_sys::JSON::parse(&checkpoint.to_json())?;
            js_sys::Reflect::set(&record, &"id".into(), &checkpoint.id().into())?;
            let (tx, store) = transaction(&db, IdbTransactionMode::Readwrite)?;
            store.put(&record)?;
            committed(&tx).await
        };
        if let Err(error) = outcome.await {
            warn_once(
                Warning::NotSaved,
                &format!(
                    "a checkpoint could not be saved ({}); this upload may not resume after a reload",
                    describe(&error)
                ),
            );
        }
    }

    /// The readable stored checkpoints whose id starts with `prefix` (a destination's records).
    pub(crate) async fn starting_with(&self, prefix: &str) -> Vec<Checkpoint> {
        let Some(db) = self.database().await else { return Vec::new() };
        let records = async {
            // Every string that starts with `prefix` sorts between it and `prefix` + U+FFFF.
            let range = IdbKeyRange::bound(&prefix.into(), &format!("{prefix}\u{ffff}").into())?;
            let (_, store) = transaction(&db, IdbTransactionMode::Readonly)?;
            result(&store.get_all_with_key(&range)?).await
        };
        readable_all(records.await)
    }

    /// Deletes the checkpoint with `id`.
    pub(crate) async fn delete(&self, id: &str) {
        let Some(db) = self.database().await else { return };
        let outcome = async {
            let (tx, store) = transaction(&db, IdbTransactionMode::Readwrite)?;
            store.delete(&JsValue::from_str(id))?;
            committed(&tx).await
        };
        let _ = outcome.await;
    }

    /// Every stored checkpoint that can be read.
    pub(crate) async fn all(&self) -> Vec<Checkpoint> {
        let Some(db) = self.database().await else { return Vec::new() };
        let records = async {
            let (_, store) = transaction(&db, IdbTransactionMode::Readonly)?;
            result(&store.get_all()?).await
        };
        readable_all(records.await)
    }
}

/// Opens (creating on first use) the database of one object store keyed by `id`.
async fn open() -> std::result::Result<IdbDatabase, JsValue> {
    let factory: IdbFactory = js_sys::Reflect::get(&js_sys::global(), &"indexedDB".into())?.dyn_into()?;
    let request: IdbOpenDbRequest = factory.open_with_u32(DATABASE, 1)?;
    let opening = request.clone();
    let upgrade = Closure::<dyn FnMut()>::new(move || {
        if let Ok(db) = opening.result().and_then(JsCast::dyn_into::<IdbDatabase>) {
            let parameters = IdbObjectStoreParameters::new();
            parameters.set_key_path(&"id".into());
            let _ = db.create_object_store_with_optional_parameters(STORE, &parameters);
        }
    });
    request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let db = result(&request).await;
    request.set_onupgradeneeded(None);
    db?.dyn_into()
}

/// A transaction on the checkpoint store and the store in it.
fn transaction(
    db: &IdbDatabase,
    mode: IdbTransactionMode,
) -> std::result::Result<(IdbTransaction, IdbObjectStore), JsValue> {
    let tx = db.transaction_with_str_and_mode(STORE, mode)?;
    let store = tx.object_store(STORE)?;
    Ok((tx, store))
}

/// What a request gives once it succeeds, or its error.
async fn result(request: &IdbRequest) -> std::result::Result<JsValue, JsValue> {
    let done = js_sys::Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    let outcome = JsFuture::from(done).await;
    request.set_onsuccess(None);
    request.set_onerror(None);
    outcome.map_err(|_| request.error().ok().flatten().map_or(JsValue::NULL, JsValue::from))?;
    request.result()
}

/// Waits until a read-write transaction is committed.
async fn committed(tx: &IdbTransaction) -> std::result::Result<(), JsValue> {
    let done = js_sys::Promise::new(&mut |resolve, reject| {
        tx.set_oncomplete(Some(&resolve));
        tx.set_onerror(Some(&reject));
        tx.set_onabort(Some(&reject));
    });
    let outcome = JsFuture::from(done).await;
    outcome.map(|_| ()).map_err(|_| tx.error().map_or(JsValue::NULL, JsValue::from))
}

/// The readable checkpoints among the records a `getAll` gave (none when it failed).
fn readable_all(records: std::result::Result<JsValue, JsValue>) -> Vec<Checkpoint> {
    let records = records.ok().and_then(|r| r.dyn_into::<js_sys::Array>().ok());
    records.map_or_else(Vec::new, |r| r.iter().filter_map(|record| readable(&record)).collect())
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
