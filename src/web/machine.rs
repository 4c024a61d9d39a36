//! The core's machines as wasm exports the JS driver (`js/driver.js`) runs: `WasmClient` is what an
//! uploader's machines share (bucket, credentials, clock offset, request budget) and starts them;
//! `WasmMachine::poll` and one method per kind of [`Input`] return the [`Command`](crate::upload::Command)s to carry out, as
//! plain objects `{t, id?, …}`. The clock and randomness come in as arguments.

use super::exchange::{commands_array, fetched_credentials, presigned, readable, uploads_array};
use super::hash::digest;
use super::js_api::{error_object, result_object, retry_hook};
use super::set;
use crate::actions::{AbortMultipartUpload, ListMultipartUploads, UploadSummary};
use crate::error::{Error, Result};
use crate::http::Response;
use crate::upload::{
    Call, Client, Config, FileInfo, Input, JobId, Keyring, Machine, ObjectSpec, RequestBudget, Signing, Upload,
    UploaderOptions, abort_outcome,
};
use js_sys::{Array, Function, Object};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// What the machines of one uploader share.
#[wasm_bindgen(js_name = WasmClient)]
#[derive(Debug)]
pub struct JsClient {
    client: Rc<RefCell<Client>>,
    config: Config,
    workers: u32,
}

#[wasm_bindgen(js_class = WasmClient)]
impl JsClient {
    /// Reads and checks `options` (JSON, as [`UploaderOptions::from_json`] reads it); requests are
    /// presigned by the app when `presign`, else signed here; `should_retry` is the app's
    /// `retry.shouldRetry`; `cores` the machine's logical cores.
    ///
    /// # Errors
    /// Throws an error object naming the bad option.
    #[wasm_bindgen(constructor)]
    pub fn new(
        options: &str,
        presign: bool,
        should_retry: Option<Function>,
        cores: u32,
    ) -> std::result::Result<JsClient, JsValue> {
        let o = UploaderOptions::from_json(options).map_err(|e| error_object(&e))?;
        let signing = if presign { Signing::Presigned } else { Signing::Credentials(Keyring::default()) };
        let mut client = Client::new(o.bucket, o.endpoint, signing);
        client.retry_hook = should_retry.map(retry_hook);
        client.budget = RequestBudget::new(o.config.max_requests);
        let workers = o.config.hash_workers(cores);
        Ok(JsClient { client: Rc::new(RefCell::new(client)), config: o.config, workers })
    }

    /// Hashing Workers to start.
    #[wasm_bindgen(getter)]
    pub fn workers(&self) -> u32 {
        self.workers
    }

    /// The compiled module, for the hashing Workers to instantiate.
    #[wasm_bindgen(getter)]
    pub fn module(&self) -> JsValue {
        wasm_bindgen::module()
    }

    /// The digest a hashing Worker computes, of bytes on the main thread (where Workers cannot run).
    pub fn digest(&self, code: u32, bytes: &[u8]) -> Vec<u8> {
        digest(code, bytes)
    }

    /// The machines the request budget handed a permit, to poll.
    pub fn woken(&self) -> Vec<f64> {
        #[allow(clippy::cast_precision_loss)]
        self.client.borrow_mut().budget.take_woken().into_iter().map(|m| m.0 as f64).collect()
    }

    /// A machine uploading a file (its `name`, `size`, `lastModified` and `type`) as `object`
    /// (JSON, as [`ObjectSpec::from_json`] reads it).
    ///
    /// # Errors
    /// Throws an error object when `object` is malformed.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::too_many_arguments)]
    pub fn upload(
        &self,
        name: String,
        size: f64,
        last_modified: f64,
        mime: String,
        object: &str,
        now: f64,
        seed: f64,
    ) -> std::result::Result<JsMachine, JsValue> {
        let spec = ObjectSpec::from_json(object).map_err(|e| error_object(&e))?;
        let info = FileInfo { name, size: size as u64, last_modified: last_modified as i64, mime };
        let machine = Upload::new(
            self.config,
            &mut self.client.borrow_mut(),
            spec,
            info,
            self.workers as usize,
            now as u64,
            seed as u64,
        )
        .map_err(|e| error_object(&e))?;
        Ok(self.machine(Kind::Upload(Box::new(machine))))
    }

    /// A machine listing the server's unfinished uploads under `prefix`, all pages.
    #[wasm_bindgen(js_name = listUploads)]
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    pub fn list_uploads(&self, prefix: Option<String>, seed: f64) -> JsMachine {
        let list = ListMultipartUploads { prefix, ..ListMultipartUploads::default() };
        let call = Call::new(&list, &mut self.client.borrow_mut(), &self.config, seed as u64);
        self.machine(Kind::List { call, list, uploads: Vec::new(), done: None, seed: seed as u64 })
    }

    /// A machine aborting upload `upload_id` of `key`.
    #[wasm_bindgen(js_name = abortUpload)]
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    pub fn abort_upload(&self, key: String, upload_id: String, seed: f64) -> JsMachine {
        let abort = AbortMultipartUpload { key, upload_id };
        let call = Call::new(&abort, &mut self.client.borrow_mut(), &self.config, seed as u64);
        self.machine(Kind::Abort(call))
    }

    /// A stored record as `{key, uploadId, …}` when it is a checkpoint of this bucket's, else `undefined`.
    pub fn summary(&self, record: &JsValue) -> JsValue {
        let Some(c) = readable(record) else { return JsValue::UNDEFINED };
        let client = self.client.borrow();
        if !c.belongs_to(client.bucket.profile().provider.name(), &client.endpoint, client.bucket.name()) {
            return JsValue::UNDEFINED;
        }
        let o = Object::new();
        set(&o, "id", &c.id().into());
        set(&o, "partsTotal", &c.parts_total().into());
        set(&o, "key", &c.key.as_str().into());
        set(&o, "uploadId", &c.upload_id.as_str().into());
        #[allow(clippy::cast_precision_loss)]
        {
            set(&o, "size", &(c.fingerprint.size as f64).into());
            set(&o, "partSize", &(c.part_size as f64).into());
            set(&o, "createdAt", &(c.created_at as f64).into());
        }
        set(&o, "name", &c.fingerprint.name.as_str().into());
        set(&o, "partsDone", &c.parts.len().into());
        o.into()
    }

    fn machine(&self, kind: Kind) -> JsMachine {
        JsMachine { client: self.client.clone(), config: self.config, kind }
    }
}

#[derive(Debug)]
enum Kind {
    Upload(Box<Upload>),
    /// Every page of the listing: the page's call and request, the uploads so far, the outcome.
    List {
        call: Call<ListMultipartUploads>,
        list: ListMultipartUploads,
        uploads: Vec<UploadSummary>,
        done: Option<Result<Vec<UploadSummary>>>,
        seed: u64,
    },
    Abort(Call<AbortMultipartUpload>),
}

/// One running machine.
#[wasm_bindgen(js_name = WasmMachine)]
#[derive(Debug)]
pub struct JsMachine {
    client: Rc<RefCell<Client>>,
    config: Config,
    kind: Kind,
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
#[wasm_bindgen(js_class = WasmMachine)]
impl JsMachine {
    /// Its place in the request budget.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> f64 {
        match &self.kind {
            Kind::Upload(m) => m.id().0 as f64,
            Kind::List { call, .. } => call.id().0 as f64,
            Kind::Abort(m) => m.id().0 as f64,
        }
    }

    /// The commands to carry out now.
    pub fn poll(&mut self, now: f64) -> Array {
        let client = &mut self.client.borrow_mut();
        let now = now as u64;
        let commands = match &mut self.kind {
            Kind::Upload(m) => m.poll(now, client),
            Kind::Abort(m) => m.poll(now, client),
            Kind::List { call, list, uploads, done, seed } => {
                let mut commands = call.poll(now, client);
                // A page answered: the next page's call starts at once.
                while done.is_none()
                    && let Some(page) = call.outcome()
                {
                    let next = page.and_then(|page| {
                        let next = list.next(&page)?;
                        uploads.extend(page.uploads);
                        Ok(next)
                    });
                    match next {
                        Ok(Some(next)) => {
                            client.budget.leave(call.id());
                            // Each page's retries jitter with a seed of their own.
                            *seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                            *call = Call::new(&next, client, &self.config, *seed);
                            *list = next;
                            commands.extend(call.poll(now, client));
                        }
                        Ok(None) => *done = Some(Ok(std::mem::take(uploads))),
                        Err(error) => *done = Some(Err(error)),
                    }
                }
                commands
            }
        };
        commands_array(commands, &client.bucket)
    }

    /// A request was answered: `headers` are `[name, value, …]`.
    pub fn answer(&mut self, id: f64, status: u16, headers: Vec<String>, body: String, now: f64) -> Array {
        let headers = headers.chunks(2).filter_map(|p| Some((p.first()?.clone(), p.get(1)?.clone()))).collect();
        let response = Response { status, headers, body: body.into_bytes() };
        self.handle(Input::Answer { id: JobId(id as u64), response }, now)
    }

    /// A request or a hash failed (`message` says how): `network` for a request that failed on the
    /// way, else the browser refused (a Worker, a Blob that cannot be read).
    pub fn failure(&mut self, id: f64, message: String, network: bool, offline: bool, now: f64) -> Array {
        let error = if network { Error::Network { message } } else { Error::Browser { message } };
        self.handle(Input::Failure { id: JobId(id as u64), error, offline }, now)
    }

    /// Body bytes went out.
    pub fn activity(&mut self, id: f64, sent: f64, now: f64) -> Array {
        self.handle(Input::Activity { id: JobId(id as u64), sent: sent as u64 }, now)
    }

    /// A hash finished: `digest` is the MD5's 16 bytes (when `md5`), then the checksum's.
    pub fn hashed(&mut self, id: f64, digest: Vec<u8>, md5: bool, now: f64) -> Array {
        let (head, tail) = digest.split_at(if md5 { 16.min(digest.len()) } else { 0 });
        let md5 = <[u8; 16]>::try_from(head).ok();
        let checksum = (!tail.is_empty()).then(|| tail.to_vec());
        self.handle(Input::Hashed { id: JobId(id as u64), md5, checksum }, now)
    }

    /// The app's `credentials` callback answered `value`; `expires` is its `expiration` as
    /// milliseconds since the epoch (NaN when unreadable), when it gave one.
    pub fn credentials(&mut self, id: f64, value: &JsValue, expires: Option<f64>, now: f64) -> Array {
        self.handle(Input::Credentials { id: JobId(id as u64), result: fetched_credentials(value, expires) }, now)
    }

    /// The app's `presign` callback answered `value`.
    pub fn presigned(&mut self, id: f64, value: &JsValue, now: f64) -> Array {
        self.handle(Input::Presigned { id: JobId(id as u64), result: presigned(value) }, now)
    }

    /// The app's `name` callback (`credentials` or `presign`) threw or rejected; retried unless the
    /// thrown value said `retryable: false`.
    pub fn refused(&mut self, id: f64, name: &str, message: &str, retryable: bool, now: f64) -> Array {
        let error = Error::Credentials { message: format!("the {name} callback failed: {message}"), retryable };
        let id = JobId(id as u64);
        let input = if name == "presign" {
            Input::Presigned { id, result: Err(error) }
        } else {
            Input::Credentials { id, result: Err(error) }
        };
        self.handle(input, now)
    }

    /// The lock: 0 busy, 1 held, 2 no Web Locks.
    pub fn lock(&mut self, state: u8, now: f64) -> Array {
        let input = match state {
            0 => Input::LockBusy,
            1 => Input::Locked,
            _ => Input::Unguarded,
        };
        self.handle(input, now)
    }

    /// The stored records of a destination.
    pub fn loaded(&mut self, records: Array, now: f64) -> Array {
        let checkpoints = records.iter().filter_map(|r| readable(&r)).collect();
        self.handle(Input::CheckpointsLoaded(checkpoints), now)
    }

    /// 0 online again, 1 pause, 2 resume, 3 abort.
    pub fn signal(&mut self, what: u8, now: f64) -> Array {
        let input = match what {
            0 => Input::Online,
            1 => Input::Pause,
            2 => Input::Resume,
            _ => Input::Abort,
        };
        self.handle(input, now)
    }

    /// `undefined` while running; then `{ok}` or `{error}` (once).
    pub fn outcome(&mut self) -> JsValue {
        let outcome: Option<Result<JsValue>> = match &mut self.kind {
            Kind::Upload(m) => m.outcome().map(|r| r.map(|r| result_object(&r).into())),
            Kind::Abort(m) => m.outcome().map(|r| abort_outcome(r).map(|()| JsValue::UNDEFINED)),
            Kind::List { done, .. } => done.take().map(|r| r.map(|uploads| uploads_array(uploads).into())),
        };
        let Some(outcome) = outcome else { return JsValue::UNDEFINED };
        let o = Object::new();
        match outcome {
            Ok(value) => set(&o, "ok", &value),
            Err(error) => set(&o, "error", &error_object(&error)),
        }
        o.into()
    }

    /// `{partRequests, maxPartsInFlight, uploadId}`.
    pub fn stats(&self) -> JsValue {
        let o = Object::new();
        if let Kind::Upload(m) = &self.kind {
            let stats = m.stats();
            set(&o, "partRequests", &stats.part_requests.into());
            set(&o, "maxPartsInFlight", &stats.max_parts_in_flight.into());
            set(&o, "uploadId", &m.upload_id().map_or(JsValue::NULL, JsValue::from));
        }
        o.into()
    }

    /// Leaves the request budget (its permits go to the machines in line).
    pub fn leave(&self) {
        let id = match &self.kind {
            Kind::Upload(m) => m.id(),
            Kind::List { call, .. } => call.id(),
            Kind::Abort(m) => m.id(),
        };
        self.client.borrow_mut().budget.leave(id);
    }

    fn handle(&mut self, input: Input, now: f64) -> Array {
        let client = &mut self.client.borrow_mut();
        let commands = match &mut self.kind {
            Kind::Upload(m) => m.handle(input, now as u64, client),
            Kind::List { call, .. } => call.handle(input, now as u64, client),
            Kind::Abort(m) => m.handle(input, now as u64, client),
        };
        commands_array(commands, &client.bucket)
    }
}
