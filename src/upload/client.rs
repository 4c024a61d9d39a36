//! What every request of one uploader shares: the bucket, how requests get signed (temporary
//! credentials kept in a [`Keyring`], or presigned by the app's backend), and the correction for a
//! wrong local clock, and the budget of requests at once. The shell keeps one `Client` per uploader
//! and lends it to each machine.

use super::budget::RequestBudget;
use super::config::Config;
use super::retry::{RetryHook, refresh_due};
use crate::bucket::{Bucket, SignedRequest};
use crate::error::Result;
use crate::http::Request;
use crate::signing::{Auth, Credentials};
use crate::timestamp::Timestamp;

/// Temporary credentials as the app's `credentials` callback returned them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedCredentials {
    /// The keys (and session token).
    pub credentials: Credentials,
    /// When they stop working, if the app said.
    pub expiration: Option<Timestamp>,
}

/// A presigned request as the app's `presign` callback returned it. `Debug` hides its signature.
#[derive(Clone, PartialEq, Eq)]
pub struct Presigned {
    /// The URL to send the request to.
    pub url: String,
    /// Headers the backend wants sent (they replace partwise's of the same name).
    pub headers: Vec<(String, String)>,
}

impl std::fmt::Debug for Presigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presigned")
            .field("url", &crate::redact::url(&self.url))
            .field("headers", &crate::redact::pairs(&self.headers))
            .finish()
    }
}

/// How requests get their signature.
#[derive(Clone, Debug)]
pub enum Signing {
    /// Signed here with temporary credentials from the app.
    Credentials(Keyring),
    /// Presigned by the app's backend, one request at a time.
    Presigned,
}

/// The temporary credentials in use, when they were fetched, and whether to replace them ahead of
/// their expiry.
#[derive(Clone, Debug, Default)]
pub struct Keyring {
    current: Option<Key>,
}

#[derive(Clone, Debug)]
struct Key {
    fetched: FetchedCredentials,
    at: Timestamp,
    /// False when they were already due as they arrived (a wrong local clock, or a lifetime shorter
    /// than the margin): then they are used until the service refuses them.
    refresh_ahead: bool,
}

impl Keyring {
    /// The credentials to sign with at `now`, unless they are missing or due for a refresh.
    pub fn usable(&self, now: Timestamp) -> Option<&Credentials> {
        let key = self.current.as_ref()?;
        let due = key.refresh_ahead && refresh_due(key.at, key.fetched.expiration, now);
        (!due).then_some(&key.fetched.credentials)
    }

    /// Keeps credentials fetched at `now`.
    pub fn store(&mut self, fetched: FetchedCredentials, now: Timestamp) {
        match self.current.as_mut() {
            // The app answered the keys it already gave (it caches them): once they are due, they
            // are used until the service refuses them, instead of being asked for again and again.
            Some(key) if key.fetched == fetched => {
                if refresh_due(key.at, key.fetched.expiration, now) {
                    key.refresh_ahead = false;
                }
            }
            _ => {
                let refresh_ahead = !refresh_due(now, fetched.expiration, now);
                self.current = Some(Key { fetched, at: now, refresh_ahead });
            }
        }
    }

    /// Forgets the credentials the service called expired, unless newer ones already replaced them.
    pub fn expire(&mut self, access_key_id: &str) {
        if self.current.as_ref().is_some_and(|key| key.fetched.credentials.access_key_id() == access_key_id) {
            self.current = None;
        }
    }
}

/// The shared state of one uploader's requests.
#[derive(Clone, Debug)]
pub struct Client {
    /// Where requests go.
    pub bucket: Bucket,
    /// The endpoint as the app gave it (recorded in checkpoints).
    pub endpoint: String,
    /// How they are signed.
    pub signing: Signing,
    /// Seconds to add to the local clock (server minus local), learnt from `RequestTimeTooSkewed`.
    pub clock_offset: i64,
    /// The app's `retry.shouldRetry`, asked before each retry.
    pub retry_hook: Option<RetryHook>,
    /// The permits for requests at once, shared by every machine of the uploader.
    pub budget: RequestBudget,
}

impl Client {
    /// A client for `bucket` at `endpoint` (as the app gave it) that signs with `signing`, with
    /// the default budget of requests at once.
    pub fn new(bucket: Bucket, endpoint: String, signing: Signing) -> Self {
        let budget = RequestBudget::new(Config::default().max_requests);
        Client { bucket, endpoint, signing, clock_offset: 0, retry_hook: None, budget }
    }

    /// Whether the app lets retry number `attempt` after `error` go ahead (yes, without a hook).
    pub fn allows_retry(&self, error: &crate::Error, attempt: u32) -> bool {
        self.retry_hook.as_ref().is_none_or(|hook| hook.allows(error, attempt))
    }

    /// The corrected time for a local clock reading of `now_ms` milliseconds since the epoch.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for a clock before 1970 or after 9999.
    pub fn time(&self, now_ms: u64) -> Result<Timestamp> {
        let seconds = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
        Timestamp::from_unix(seconds.saturating_add(self.clock_offset))
    }

    /// `request` signed here with `credentials` at `time`.
    ///
    /// # Errors
    /// The signer's error.
    pub fn sign(&self, request: &Request, credentials: &Credentials, time: Timestamp) -> Result<SignedRequest> {
        self.bucket.sign(request, credentials, time, Auth::Header)
    }

    /// `request` as the app's backend presigned it: its URL, checked to be for this bucket and this
    /// very request, with the backend's headers replacing partwise's of the same name.
    ///
    /// # Errors
    /// [`crate::Error::Credentials`] for a URL that is not the request's.
    pub fn presigned(&self, request: &Request, presigned: Presigned) -> Result<SignedRequest> {
        super::presigned::check(&self.bucket, request, &presigned.url)?;
        let mut headers = request.headers.clone();
        for (name, value) in presigned.headers {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
            headers.push((name, value));
        }
        Ok(SignedRequest { method: request.method, url: presigned.url, headers, body: request.body.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_presigned_answer_prints_without_its_signature() {
        let presigned = Presigned {
            url: "https://b.s3.amazonaws.com/k?X-Amz-Signature=abc123&x-amz-security-token=tok456&partNumber=1".into(),
            headers: vec![("x-amz-security-token".into(), "tok456".into())],
        };
        let printed = format!("{presigned:?}");
        assert!(!printed.contains("abc123") && !printed.contains("tok456"), "{printed}");
        assert!(printed.contains("partNumber=1"));
    }
}
