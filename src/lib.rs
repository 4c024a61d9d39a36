//! # partwise
//!
//! Multipart uploads of browser files to Amazon S3 (and S3-compatibles), Alibaba OSS, Huawei OBS,
//! NetEase NOS and Kingsoft KS3.
//!
//! The crate is a **sans-io core**: service profiles, signers, request builders and response
//! parsers, the part planner and the error type. It performs no I/O, reads no clock and draws
//! no randomness; time and responses come in as data, so everything here is tested natively with
//! `cargo test`. On `wasm32`, [`web`] exports the core's machines to the browser shell (`js/driver.js`),
//! which does the I/O.
#![cfg_attr(not(target_arch = "wasm32"), forbid(unsafe_code))]

pub mod actions;
pub mod bucket;
pub mod checksum;
pub mod endpoint;
pub mod error;
pub mod hash;
pub mod http;
mod json;
pub mod plan;
pub mod provider;
mod redact;
pub mod signing;
mod sorted_map;
pub mod timestamp;
pub mod upload;
#[cfg(target_arch = "wasm32")]
pub mod web;
mod xml;

pub use bucket::{Bucket, BucketConfig, SignedRequest};
pub use endpoint::{Addressing, Endpoint};
pub use error::{Error, ProviderError, Result};
pub use provider::{Md5Encoding, PartLimits, Profile, Provider};
pub use signing::{Auth, Credentials, Scheme};
pub use timestamp::Timestamp;
