//! The uploader in headless Chromium against a real SeaweedFS, credentials and presigned URLs
//! coming from the development backend (scripts/dev-backend.mjs), as an app gets them.
#![cfg(target_arch = "wasm32")]

use partwise::Error;
use partwise::hash::md5;
use partwise::upload::retry::RetryPolicy;
use partwise::upload::{Config, Event, ObjectSpec, TaskState, UploadResult};
use partwise::web::{Signer, TaskControl, Uploader, UploaderOptions};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

mod common;
use common::{BACKEND, ENDPOINT, MIB, bucket, bytes, read_object, setting};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/support.js")]
extern "C" {
    #[wasm_bindgen(js_name = stsCredentials)]
    fn sts_credentials(backend: &str, overrides: &JsValue) -> js_sys::Function;
    fn presigner(backend: &str) -> js_sys::Function;
    #[wasm_bindgen(js_name = holdingPresigner)]
    fn holding_presigner(backend: &str, parts: u32) -> js_sys::Function;
    #[wasm_bindgen(js_name = expiringCredentials)]
    fn expiring_credentials(backend: &str) -> js_sys::Function;
    #[wasm_bindgen(js_name = issuedSecrets)]
    fn issued_secrets(provider: &js_sys::Function) -> js_sys::Array;
    #[wasm_bindgen(js_name = callCount)]
    fn call_count(provider: &js_sys::Function) -> u32;
    #[wasm_bindgen(js_name = operationCount)]
    fn operation_count(presign: &js_sys::Function, operation: &str) -> u32;
    #[wasm_bindgen(js_name = captureConsole)]
    fn capture_console() -> js_sys::Array;
    #[wasm_bindgen(js_name = dumpCheckpoints)]
    async fn dump_checkpoints() -> JsValue;
    #[wasm_bindgen(js_name = countWorkerHashes)]
    fn count_worker_hashes() -> JsValue;
    #[wasm_bindgen(js_name = stopCounting)]
    fn stop_counting(counter: &JsValue) -> u32;
    #[wasm_bindgen(js_name = makeFile)]
    fn make_file(bytes: &js_sys::Uint8Array, name: &str, last_modified: f64) -> web_sys::Blob;
}

fn backend() -> &'static str {
    setting(BACKEND, "PARTWISE_TEST_BACKEND")
}

fn options(signer: Signer) -> UploaderOptions {
    UploaderOptions {
        bucket: bucket(),
        endpoint: setting(ENDPOINT, "PARTWISE_TEST_ENDPOINT").to_owned(),
        signer,
        config: Config {
            part_size: Some(5 * MIB),
            concurrency: 4,
            retry: RetryPolicy { attempts: 3, base_delay_ms: 100, max_delay_ms: 1000 },
            ..Config::default()
        },
        retry_hook: None,
        hash_workers: 2,
    }
}

/// The two ways an app hands out credentials.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Sts,
    Presigned,
}

fn uploader(mode: Mode) -> (Uploader, js_sys::Function) {
    let callback = match mode {
        Mode::Sts => sts_credentials(backend(), &JsValue::UNDEFINED),
        Mode::Presigned => presigner(backend()),
    };
    let signer = match mode {
        Mode::Sts => Signer::credentials(callback.clone()),
        Mode::Presigned => Signer::presign(callback.clone()),
    };
    (Uploader::new(options(signer)), callback)
}

fn file(data: &[u8], name: &str) -> web_sys::Blob {
    make_file(&js_sys::Uint8Array::from(data), name, 1_700_000_000_000.0)
}

fn unique_key(name: &str) -> String {
    format!("uploader/{} {name}.bin", js_sys::Date::now())
}

/// What a task reported, and a slot for its control so the observer can act on events.
#[derive(Default)]
struct Recorder {
    parts: Vec<u16>,
    states: Vec<TaskState>,
    retries: u32,
    loaded: Vec<u64>,
    control: Option<TaskControl>,
    pause_after_parts: Option<usize>,
}

fn start(
    uploader: &Uploader,
    blob: &web_sys::Blob,
    key: &str,
    recorder: &Rc<RefCell<Recorder>>,
) -> partwise::web::UploadTask {
    let seen = recorder.clone();
    let observer = Rc::new(move |event: &Event| {
        let mut r = seen.borrow_mut();
        match event {
            Event::Part { number, .. } => {
                r.parts.push(*number);
                if r.pause_after_parts == Some(r.parts.len()) {
                    r.control.as_ref().expect("control").pause();
                }
            }
            Event::State(state) => r.states.push(*state),
            Event::Retry { .. } => r.retries += 1,
            Event::Progress(p) => r.loaded.push(p.loaded),
            Event::Replaced { .. } => {}
        }
    });
    let task = uploader.upload(blob.clone(), ObjectSpec { key: key.to_owned(), ..ObjectSpec::default() }, observer);
    recorder.borrow_mut().control = Some(task.control.clone());
    task
}

async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..1500 {
        if done() {
            return;
        }
        sleep(20).await;
    }
    panic!("timed out waiting for {what}");
}

/// Uploads `size` bytes and checks the object, the events and the checkpoint; with the signer's
/// callback, to count its calls.
async fn upload_and_check(mode: Mode, size: u64, seed: u64) -> (UploadResult, js_sys::Function) {
    let (uploader, callback) = uploader(mode);
    let data = bytes(size, seed);
    let key = unique_key(&format!("{mode:?} {size}"));
    let recorder = Rc::new(RefCell::new(Recorder::default()));
    let task = start(&uploader, &file(&data, "f.bin"), &key, &recorder);
    let done = task.done.await.unwrap_or_else(|e| panic!("{mode:?} {size} B: {e}"));
    assert!(md5(&read_object(&key).await) == md5(&data), "{mode:?} {size} B: the object equals the file");
    assert!(uploader.checkpoints().await.iter().all(|c| c.key != key), "no checkpoint is left");
    let r = recorder.borrow();
    assert_eq!(r.states.first(), Some(&TaskState::Uploading));
    assert_eq!(r.states.last(), Some(&TaskState::Complete));
    assert!(r.loaded.windows(2).all(|w| w[0] <= w[1]), "progress is monotonic: {:?}", r.loaded);
    assert_eq!(r.loaded.last(), Some(&size), "100% at the end");
    assert!(size == 0 || r.loaded.iter().rev().skip(1).all(|l| *l < size), "100% only after Complete");
    (done, callback)
}

#[wasm_bindgen_test]
async fn sts_mode_uploads_empty_single_part_and_multipart_files() {
    let (empty, _) = upload_and_check(Mode::Sts, 0, 1).await;
    assert_eq!((empty.parts, empty.upload_id), (1, None), "PutObject");
    let (single, _) = upload_and_check(Mode::Sts, 3 * MIB + 1, 2).await;
    assert_eq!(single.parts, 1);
    let (multi, credentials) = upload_and_check(Mode::Sts, 37 * MIB + 3, 3).await;
    assert_eq!(multi.parts, 8);
    assert_eq!(call_count(&credentials), 1, "one credentials call served every part");
    assert!(multi.upload_id.is_some() && multi.etag.trim_matches('"').ends_with("-8"), "{multi:?}");
}

#[wasm_bindgen_test]
async fn presigned_mode_uploads_empty_single_part_and_multipart_files() {
    upload_and_check(Mode::Presigned, 0, 4).await;
    upload_and_check(Mode::Presigned, 3 * MIB + 1, 5).await;
    let (multi, _) = upload_and_check(Mode::Presigned, 37 * MIB + 3, 6).await;
    assert_eq!(multi.parts, 8);
}

#[wasm_bindgen_test]
async fn parts_go_up_in_parallel_and_hash_off_the_main_thread() {
    // The presigned URLs of the first two parts are answered together, once both are asked for.
    let presign = holding_presigner(backend(), 2);
    let uploader = Uploader::new(options(Signer::presign(presign.clone())));
    let data = bytes(40 * MIB, 7);
    let key = unique_key("parallel");
    let recorder = Rc::new(RefCell::new(Recorder::default()));
    let counter = count_worker_hashes();
    let task = start(&uploader, &file(&data, "p.bin"), &key, &recorder);
    let stats = task.control.clone();
    task.done.await.expect("uploaded");
    let worker_hashes = stop_counting(&counter);
    assert!(stats.stats().max_parts_in_flight >= 2, "two parts asked for their URLs together, then went up together");
    assert_eq!(stats.stats().part_requests, 8);
    assert_eq!(operation_count(&presign, "uploadPart"), 8);
    // The 8 parts and the file's fingerprint sample, all in Workers, none on the main thread.
    assert_eq!(worker_hashes, 9, "every hash ran in a Worker");
    assert!(md5(&read_object(&key).await) == md5(&data), "the object equals the file");
}

#[wasm_bindgen_test]
async fn pause_then_resume_finishes_the_object() {
    let (uploader, _) = uploader(Mode::Sts);
    let data = bytes(37 * MIB + 3, 8);
    let key = unique_key("pause");
    let recorder = Rc::new(RefCell::new(Recorder { pause_after_parts: Some(1), ..Recorder::default() }));
    let task = start(&uploader, &file(&data, "pause.bin"), &key, &recorder);
    let control = task.control.clone();
    let done = wasm_bindgen_futures::JsFuture::from(wasm_bindgen_futures::future_to_promise(async move {
        task.done.await.map(|_| JsValue::TRUE).map_err(|e| JsValue::from_str(&e.to_string()))
    }));
    wait_for("pause", || recorder.borrow().states.contains(&TaskState::Paused)).await;
    let parts_at_pause = recorder.borrow().parts.len();
    sleep(300).await;
    assert_eq!(recorder.borrow().parts.len(), parts_at_pause, "no part is stored while paused");
    control.resume();
    done.await.expect("uploaded after resume");
    assert!(md5(&read_object(&key).await) == md5(&data));
    assert_eq!(
        recorder.borrow().states,
        vec![TaskState::Uploading, TaskState::Paused, TaskState::Uploading, TaskState::Complete]
    );
}

#[wasm_bindgen_test]
async fn abort_removes_the_server_upload_and_the_checkpoint() {
    let (uploader, _) = uploader(Mode::Sts);
    let data = bytes(20 * MIB, 9);
    let key = unique_key("abort");
    let recorder = Rc::new(RefCell::new(Recorder::default()));
    let task = start(&uploader, &file(&data, "abort.bin"), &key, &recorder);
    let control = task.control.clone();
    let done = wasm_bindgen_futures::future_to_promise(async move {
        task.done.await.map(|_| JsValue::TRUE).map_err(|e| JsValue::from_str(e.code()))
    });
    wait_for("a first part", || !recorder.borrow().parts.is_empty()).await;
    assert!(uploader.checkpoints().await.iter().any(|c| c.key == key), "a checkpoint while running");
    control.abort();
    let error = wasm_bindgen_futures::JsFuture::from(done).await.expect_err("aborted");
    assert_eq!(error.as_string().as_deref(), Some("Aborted"));
    assert_eq!(recorder.borrow().states.last(), Some(&TaskState::Aborted));
    assert!(uploader.checkpoints().await.iter().all(|c| c.key != key), "the checkpoint is gone");
    let unfinished = uploader.list_uploads(Some(key.clone())).await.expect("listed");
    assert!(unfinished.iter().all(|u| u.key != key), "the server upload is gone: {unfinished:?}");
}

/// Starts `blob` at `key`, pauses after `parts` parts and drops the task and its uploader, as a
/// reload would. Returns the parts stored before the stop.
async fn stop_after(mode: Mode, blob: &web_sys::Blob, key: &str, parts: usize) -> usize {
    let (uploader, _) = uploader(mode);
    let recorder = Rc::new(RefCell::new(Recorder { pause_after_parts: Some(parts), ..Recorder::default() }));
    let task = start(&uploader, blob, key, &recorder);
    wasm_bindgen_futures::spawn_local(async move {
        let _ = task.done.await;
    });
    wait_for("pause", || recorder.borrow().states.contains(&TaskState::Paused)).await;
    // The paused task is left behind, unreachable, like the state of a page that reloaded.
    recorder.borrow_mut().control = None;

    recorder.borrow().parts.len()
}

#[wasm_bindgen_test]
async fn after_a_reload_finished_parts_are_not_sent_again() {
    let data = bytes(37 * MIB + 3, 10);
    let key = unique_key("reload");
    let blob = file(&data, "reload.bin");
    let stored = stop_after(Mode::Presigned, &blob, &key, 3).await;
    assert!(stored >= 3);

    let (uploader, presign) = uploader(Mode::Presigned);
    let recorder = Rc::new(RefCell::new(Recorder::default()));
    let done = start(&uploader, &blob, &key, &recorder).done.await.expect("resumed and completed");
    assert_eq!(done.parts, 8);
    assert_eq!(operation_count(&presign, "createMultipartUpload"), 0, "the old upload was resumed");
    // At most the parts the page never saw finish: one the server stored just as the page paused
    // is found by ListParts, checked against the file and kept.
    let sent = operation_count(&presign, "uploadPart") as usize;
    assert!(sent <= 8 - stored, "only missing parts were sent: {sent} of {}", 8 - stored);
    assert!(md5(&read_object(&key).await) == md5(&data), "the object equals the file");
}

#[wasm_bindgen_test]
async fn a_changed_file_is_never_stitched_onto_the_old_upload() {
    let original = bytes(37 * MIB + 3, 11);
    let key = unique_key("changed");
    stop_after(Mode::Sts, &file(&original, "same.bin"), &key, 2).await;

    // Same name, size and date; different bytes in part 1, away from the sampled start and end.
    let mut changed = original.clone();
    for byte in &mut changed[(MIB as usize)..(MIB as usize + 100)] {
        *byte = !*byte;
    }
    let (uploader, _) = uploader(Mode::Sts);
    let recorder = Rc::new(RefCell::new(Recorder::default()));
    start(&uploader, &file(&changed, "same.bin"), &key, &recorder).done.await.expect("uploaded");
    assert!(recorder.borrow().parts.contains(&1), "the changed part was sent again");
    assert!(md5(&read_object(&key).await) == md5(&changed), "the object is the new file, not a mix");
}

#[wasm_bindgen_test]
async fn a_wrong_secret_fails_typed_without_a_retry_storm() {
    let overrides = js_sys::Object::new();
    js_sys::Reflect::set(&overrides, &"secretAccessKey".into(), &"not-the-secret".into()).expect("set");
    let credentials = sts_credentials(backend(), &overrides);
    let uploader = Uploader::new(options(Signer::credentials(credentials.clone())));
    let recorder = Rc::new(RefCell::new(Recorder::default()));
    let task = start(&uploader, &file(&bytes(1000, 12), "w.bin"), &unique_key("wrong secret"), &recorder);
    let control = task.control.clone();
    let error: Error = task.done.await.expect_err("refused");
    assert_eq!(error.provider_code(), Some("SignatureDoesNotMatch"), "{error}");
    assert_eq!(error.status(), Some(403));
    assert!(!error.is_retryable());
    assert_eq!(control.stats().part_requests, 1, "sent once, not retried");
    assert_eq!(recorder.borrow().retries, 0);
    assert_eq!(call_count(&credentials), 1);
}

#[wasm_bindgen_test]
async fn no_secret_reaches_indexeddb_or_the_console() {
    let console = capture_console();
    let credentials = sts_credentials(backend(), &JsValue::UNDEFINED);
    let uploader = Uploader::new(options(Signer::credentials(credentials.clone())));
    let key = unique_key("secrets");
    let recorder = Rc::new(RefCell::new(Recorder { pause_after_parts: Some(2), ..Recorder::default() }));
    let task = start(&uploader, &file(&bytes(20 * MIB, 13), "s.bin"), &key, &recorder);
    let control = task.control.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = task.done.await;
    });
    wait_for("pause", || recorder.borrow().states.contains(&TaskState::Paused)).await;
    let records = dump_checkpoints().await.as_string().expect("records");
    assert!(records.contains(&key), "the checkpoint is stored: {records}");
    control.abort();
    wait_for("abort", || recorder.borrow().states.contains(&TaskState::Aborted)).await;

    let mut secrets: Vec<String> = issued_secrets(&credentials).iter().filter_map(|s| s.as_string()).collect();
    assert_eq!(secrets.len(), 2, "one secret key and one session token were issued");
    secrets.extend(["X-Amz-Signature", "X-Amz-Credential", "Signature="].map(String::from));
    let printed: Vec<String> = console.iter().filter_map(|l| l.as_string()).collect();
    for (what, text) in [("IndexedDB", records), ("console", printed.join("\n"))] {
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{what} holds {}", &secret[..secret.len().min(16)]);
        }
    }
}

#[wasm_bindgen_test]
async fn expired_credentials_are_refreshed_and_the_upload_goes_on() {
    let credentials = expiring_credentials(backend());
    let uploader = Uploader::new(options(Signer::credentials(credentials.clone())));
    let data = bytes(3 * MIB, 16);
    let key = unique_key("expired");
    let recorder = Rc::new(RefCell::new(Recorder::default()));
    start(&uploader, &file(&data, "x.bin"), &key, &recorder).done.await.expect("uploaded after a refresh");
    assert_eq!(call_count(&credentials), 2, "one refresh after the expired answer");
    assert!(md5(&read_object(&key).await) == md5(&data));
}
