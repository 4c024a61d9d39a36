//! MD5 and checksums of file parts: the raw exports the hashing Workers (`js/hash_pool.js`) run in
//! their instance of this module, and the same digest in one call for the main thread, where
//! Workers cannot run.

use crate::checksum::{ChecksumAlgorithm, Hasher};
use md5::{Digest, Md5};
use std::cell::RefCell;

/// The flag of [`code`] that leaves the MD5 out.
const NO_MD5: u32 = 0x100;

/// The number the Workers get: the checksum's (0: none), with [`NO_MD5`] unless the MD5 is wanted.
pub(crate) fn code(with_md5: bool, checksum: Option<ChecksumAlgorithm>) -> u32 {
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
    BUFFER.with_borrow(|buffer| update(&buffer[..len.min(buffer.len())]));
}

fn update(bytes: &[u8]) {
    STATE.with_borrow_mut(|state| state.as_mut().map(|s| s.update(bytes)));
    CHECKSUM.with_borrow_mut(|checksum| checksum.as_mut().map(|c| c.update(bytes)));
}

/// The digest of `bytes` as a Worker computes it, numbered as [`code`] numbers it.
pub(crate) fn digest(code: u32, bytes: &[u8]) -> Vec<u8> {
    partwise_md5_reset(code);
    update(bytes);
    partwise_md5_finish();
    DIGEST.with_borrow(Clone::clone)
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
