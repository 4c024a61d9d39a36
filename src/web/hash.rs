//! MD5 and checksums of file parts off the main thread: a pool of Workers (`hash_pool.js`) that run
//! this same wasm module's raw hashing exports below.

use super::errors::browser_error;
use crate::checksum::{ChecksumAlgorithm, Hasher};
use crate::error::{Error, Result};
use md5::{Digest, Md5};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/src/web/hash_pool.js")]
extern "C" {
    #[wasm_bindgen(js_name = HashPool)]
    type JsHashPool;
    #[wasm_bindgen(constructor, catch)]
    fn new(module: &JsValue, size: u32) -> std::result::Result<JsHashPool, JsValue>;
    #[wasm_bindgen(method)]
    fn hash(this: &JsHashPool, blob: &web_sys::Blob, algorithm: u32) -> js_sys::Promise;
    #[wasm_bindgen(method)]
    fn terminate(this: &JsHashPool);
}

/// A pool of hashing Workers; terminated when dropped.
pub struct HashPool {
    pool: JsHashPool,
}

impl std::fmt::Debug for HashPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashPool")
    }
}

impl HashPool {
    /// Starts `size` Workers, each instantiating this module.
    ///
    /// # Errors
    /// [`Error::Browser`] when Workers cannot be created (a CSP without `worker-src blob:`).
    pub fn new(size: u32) -> Result<Self> {
        let pool = JsHashPool::new(&wasm_bindgen::module(), size.max(1)).map_err(|e| browser_error(&e))?;
        Ok(Self { pool })
    }

    /// The MD5 of `blob` (when `with_md5`) and its `checksum`, computed in a Worker in one pass;
    /// `None` when the Workers cannot run (they were created but never started, as under a
    /// Content-Security-Policy without `worker-src blob:`).
    ///
    /// # Errors
    /// [`Error::Browser`] when the Blob cannot be read (the file was moved or deleted).
    pub async fn hash(
        &self,
        blob: &web_sys::Blob,
        with_md5: bool,
        checksum: Option<ChecksumAlgorithm>,
    ) -> Result<Option<(Option<[u8; 16]>, Option<Vec<u8>>)>> {
        let digest = match JsFuture::from(self.pool.hash(blob, code(with_md5, checksum))).await {
            Ok(digest) => digest,
            Err(e) if e.dyn_ref::<js_sys::Error>().is_some_and(|e| e.name() == "WorkerError") => return Ok(None),
            Err(e) => return Err(browser_error(&e)),
        };
        let digest = js_sys::Uint8Array::new(&digest).to_vec();
        let md5_len = if with_md5 { 16 } else { 0 };
        let (md5, rest) = digest
            .split_at_checked(md5_len)
            .ok_or_else(|| Error::Browser { message: "the hash worker returned no digest".into() })?;
        let md5 = with_md5.then(|| md5.try_into().unwrap_or_default());
        Ok(Some((md5, checksum.map(|_| rest.to_vec()))))
    }
}

impl Drop for HashPool {
    fn drop(&mut self) {
        self.pool.terminate();
    }
}

/// The flag of [`code`] that leaves the MD5 out.
const NO_MD5: u32 = 0x100;

/// The number the Workers get: the checksum's (0: none), with [`NO_MD5`] unless the MD5 is wanted.
fn code(with_md5: bool, checksum: Option<ChecksumAlgorithm>) -> u32 {
    let algorithm =
        checksum.and_then(|a| ChecksumAlgorithm::ALL.iter().position(|b| *b == a)).map_or(0, |i| i as u32 + 1);
    if with_md5 { algorithm } else { algorithm | NO_MD5 }
}

thread_local! {
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static STATE: RefCell<Option<Md5>> = const { RefCell::new(None) };
    static CHECKSUM: RefCell<Option<Hasher>> = const { RefCell::new(None) };
    static DIGEST: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Worker export: starts a new digest, as [`code`] numbers it: the MD5 (unless [`NO_MD5`]) and the
/// checksum numbered in the low bits (0: none).
#[unsafe(no_mangle)]
#[allow(unreachable_pub)] // exported from the wasm module, not from the crate
pub extern "C" fn partwise_md5_reset(code: u32) {
    STATE.with_borrow_mut(|state| *state = (code & NO_MD5 == 0).then(Md5::new));
    let algorithm = (code & !NO_MD5) as usize;
    let chosen = ChecksumAlgorithm::ALL.get(algorithm.wrapping_sub(1)).map(|a| a.hasher());
    CHECKSUM.with_borrow_mut(|checksum| *checksum = chosen);
}

/// Worker export: the length of the digest [`partwise_md5_finish`] returned.
#[unsafe(no_mangle)]
#[allow(unreachable_pub)] // exported from the wasm module, not from the crate
pub extern "C" fn partwise_digest_len() -> usize {
    DIGEST.with_borrow(Vec::len)
}

/// Worker export: the address of a buffer of at least `len` bytes for the worker to fill.
#[unsafe(no_mangle)]
#[allow(unreachable_pub)] // exported from the wasm module, not from the crate
pub extern "C" fn partwise_md5_buffer(len: usize) -> *mut u8 {
    BUFFER.with_borrow_mut(|buffer| {
        buffer.resize(len, 0);
        buffer.as_mut_ptr()
    })
}

/// Worker export: adds the first `len` bytes of the buffer to the digest.
#[unsafe(no_mangle)]
#[allow(unreachable_pub)] // exported from the wasm module, not from the crate
pub extern "C" fn partwise_md5_update(len: usize) {
    BUFFER.with_borrow(|buffer| {
        let bytes = &buffer[..len.min(buffer.len())];
        STATE.with_borrow_mut(|state| state.as_mut().map(|s| s.update(bytes)));
        CHECKSUM.with_borrow_mut(|checksum| checksum.as_mut().map(|c| c.update(bytes)));
    });
}

/// Worker export: finishes the digest and returns the address of its bytes: the MD5's 16 (if
/// asked for), then the checksum's ([`partwise_digest_len`] in all).
#[unsafe(no_mangle)]
#[allow(unreachable_pub)] // exported from the wasm module, not from the crate
pub extern "C" fn partwise_md5_finish() -> *const u8 {
    let md5 = STATE.with_borrow_mut(Option::take).map(|s| s.finalize().to_vec()).unwrap_or_default();
    let checksum = CHECKSUM.with_borrow_mut(Option::take).map(Hasher::finish).unwrap_or_default();
    DIGEST.with_borrow_mut(|out| {
        out.clear();
        out.extend_from_slice(&md5);
        out.extend_from_slice(&checksum);
        out.as_ptr()
    })
}
