//! What to do after a failed request: retry after a backoff, refresh credentials, correct the
//! clock, or give up. Pure decisions: jitter, clocks and the service's answer come in as data.

use crate::error::Error;
use crate::timestamp::Timestamp;
use std::rc::Rc;

/// How often and how patiently to retry. Delays grow exponentially from `base_delay_ms`, capped
/// at `max_delay_ms`, with jitter so parallel parts do not retry in lockstep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries per request after the first one fails (0: never retry).
    pub attempts: u32,
    /// Delay before the first retry, in milliseconds.
    pub base_delay_ms: u64,
    /// Longest delay between tries, in milliseconds.
    pub max_delay_ms: u64,
}

impl Default for RetryPolicy {
    /// 5 retries, from 500 ms up to 20 s.
    fn default() -> Self {
        RetryPolicy { attempts: 5, base_delay_ms: 500, max_delay_ms: 20_000 }
    }
}

/// The app's say before each retry (`retry.shouldRetry`): called with the error and the number of
/// the retry about to happen (1-based, as in the `retry` event); `false` stops retrying and the
/// error is reported. It is asked only once the policy would retry, never for the offline wait.
///
/// The hook is synchronous, so the core calls it where it decides, as it reads the jitter: no
/// command, no round trip through the shell, and the decision stays in one place. The shell wraps
/// the app's function; native tests give a closure.
#[derive(Clone)]
pub struct RetryHook(Rc<AllowRetry>);

/// The hook's function: the error and the retry's number in, whether to retry out.
type AllowRetry = dyn Fn(&Error, u32) -> bool;

impl RetryHook {
    /// A hook that asks `allow`.
    pub fn new(allow: impl Fn(&Error, u32) -> bool + 'static) -> Self {
        RetryHook(Rc::new(allow))
    }

    /// Whether retry number `attempt` after `error` may go ahead.
    pub fn allows(&self, error: &Error, attempt: u32) -> bool {
        (self.0)(error, attempt)
    }
}

impl std::fmt::Debug for RetryHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RetryHook")
    }
}

/// The next step after a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// Send the request again (re-signed) after this many milliseconds.
    Retry {
        /// The backoff.
        delay_ms: u64,
    },
    /// The temporary credentials expired: fetch new ones, then send again.
    RefreshCredentials,
    /// The local clock is off: sign with this offset (server minus local, seconds), then send again.
    CorrectClock {
        /// Seconds to add to the local clock.
        offset_seconds: i64,
    },
    /// Report the error.
    GiveUp,
}

/// What the decision may know besides the error.
#[derive(Clone, Copy, Debug)]
pub struct FailureContext {
    /// Which retry this would be (1 for the first retry).
    pub retry: u32,
    /// Whether the request was signed with temporary (STS) credentials.
    pub temporary_credentials: bool,
    /// The server's clock, from the answer's `Date` header, if it was readable.
    pub server_time: Option<Timestamp>,
    /// The (corrected) local clock when the answer arrived.
    pub local_time: Timestamp,
    /// A random number in `[0, 1)`.
    pub jitter: f64,
    /// The wait the service asked for (`Retry-After`), in milliseconds.
    pub retry_after_ms: Option<u64>,
}

impl RetryPolicy {
    /// The backoff before retry number `retry` (1-based): exponential, capped, with "equal jitter"
    /// (half fixed, half random) so it never collapses to zero.
    pub fn delay_ms(&self, retry: u32, jitter: f64) -> u64 {
        let exponent = retry.saturating_sub(1).min(32);
        let ceiling = self.base_delay_ms.saturating_mul(1u64 << exponent).min(self.max_delay_ms);
        let jitter = jitter.clamp(0.0, 1.0);
        // ceiling ≤ max_delay_ms, far below 2^52: the float round trip is exact enough.
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let random_half = ((ceiling / 2) as f64 * jitter) as u64;
        ceiling - ceiling / 2 + random_half
    }

    /// Decides what to do about `error`.
    pub fn recovery(&self, error: &Error, context: &FailureContext) -> Recovery {
        if context.retry > self.attempts {
            return Recovery::GiveUp;
        }
        let code = error.provider_code().unwrap_or_default();
        if code == "RequestTimeTooSkewed"
            && let Some(server) = context.server_time
        {
            return Recovery::CorrectClock { offset_seconds: server.unix() - context.local_time.unix() };
        }
        // AWS says ExpiredToken; SeaweedFS answers an expired session with 403 InvalidAccessKeyId.
        let expired = matches!(code, "ExpiredToken" | "TokenRefreshRequired" | "InvalidToken")
            || (context.temporary_credentials && matches!(code, "InvalidAccessKeyId" | "SecurityTokenExpired"));
        if expired {
            return Recovery::RefreshCredentials;
        }
        if error.is_retryable() {
            // A service that says how long to wait is obeyed, up to the longest delay allowed.
            let asked = context.retry_after_ms.unwrap_or(0).min(self.max_delay_ms);
            return Recovery::Retry { delay_ms: self.delay_ms(context.retry, context.jitter).max(asked) };
        }
        Recovery::GiveUp
    }
}

/// Whether credentials fetched at `fetched` and expiring at `expiration` should be replaced at
/// `now`: five minutes before expiry, or after three quarters of a shorter lifetime.
pub fn refresh_due(fetched: Timestamp, expiration: Option<Timestamp>, now: Timestamp) -> bool {
    let Some(expiration) = expiration else { return false };
    let lifetime = expiration.unix() - fetched.unix();
    let margin = (lifetime / 4).clamp(0, 300);
    now.unix() >= expiration.unix() - margin
}

/// The `Retry-After` header of an answer, in milliseconds (delay-seconds form only; an HTTP date
/// is ignored and the backoff alone decides).
pub fn retry_after_ms(response: &crate::http::Response) -> Option<u64> {
    let seconds: u64 = response.header("retry-after")?.trim_ascii().parse().ok()?;
    Some(seconds.saturating_mul(1000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ProviderError;

    fn provider(status: u16, code: &str) -> Error {
        Error::Provider(ProviderError {
            status,
            code: Some(code.to_owned()),
            message: String::new(),
            request_id: None,
            host_id: None,
        })
    }

    #[test]
    fn credentials_are_refreshed_before_they_expire() {
        let at = |s| Timestamp::from_unix(s).expect("valid");
        assert!(!refresh_due(at(0), None, at(1_000_000)), "no expiration: never");
        assert!(!refresh_due(at(0), Some(at(3600)), at(3299)));
        assert!(refresh_due(at(0), Some(at(3600)), at(3300)), "five minutes before");
        assert!(!refresh_due(at(0), Some(at(900)), at(599)));
        assert!(refresh_due(at(0), Some(at(900)), at(675)), "a quarter of a short lifetime");
        assert!(refresh_due(at(0), Some(at(60)), at(60)));
    }

    fn context(retry: u32) -> FailureContext {
        FailureContext {
            retry,
            temporary_credentials: false,
            server_time: None,
            local_time: Timestamp::from_unix(1_000_000).expect("valid"),
            jitter: 0.5,
            retry_after_ms: None,
        }
    }

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let p = RetryPolicy::default();
        assert_eq!((p.delay_ms(1, 0.0), p.delay_ms(1, 1.0)), (250, 500));
        assert_eq!((p.delay_ms(2, 0.0), p.delay_ms(3, 0.0)), (500, 1000));
        assert_eq!(p.delay_ms(40, 1.0), 20_000);
        assert_eq!(p.delay_ms(u32::MAX, 0.0), 10_000);
        assert!(p.delay_ms(3, 0.3) >= 1000 && p.delay_ms(3, 0.3) <= 2000);
        assert_eq!(p.delay_ms(1, f64::NAN), 250, "a broken random source still yields a delay");
    }

    #[test]
    fn decisions() {
        let p = RetryPolicy::default();
        assert_eq!(p.recovery(&provider(503, "SlowDown"), &context(1)), Recovery::Retry { delay_ms: 375 });
        assert_eq!(
            p.recovery(&Error::Network { message: "reset".into() }, &context(2)),
            Recovery::Retry { delay_ms: 750 }
        );
        assert_eq!(p.recovery(&provider(503, "SlowDown"), &context(6)), Recovery::GiveUp);
        assert_eq!(p.recovery(&provider(403, "SignatureDoesNotMatch"), &context(1)), Recovery::GiveUp);
        assert_eq!(p.recovery(&provider(400, "ExpiredToken"), &context(1)), Recovery::RefreshCredentials);
        assert_eq!(p.recovery(&provider(403, "InvalidAccessKeyId"), &context(1)), Recovery::GiveUp);
        let sts = FailureContext { temporary_credentials: true, ..context(1) };
        assert_eq!(p.recovery(&provider(403, "InvalidAccessKeyId"), &sts), Recovery::RefreshCredentials);
        let skewed =
            FailureContext { server_time: Some(Timestamp::from_unix(1_007_200).expect("valid")), ..context(1) };
        assert_eq!(
            p.recovery(&provider(403, "RequestTimeTooSkewed"), &skewed),
            Recovery::CorrectClock { offset_seconds: 7200 }
        );
        assert_eq!(
            p.recovery(&provider(403, "RequestTimeTooSkewed"), &context(1)),
            Recovery::Retry { delay_ms: 375 },
            "without a readable Date, a plain retry (re-signed) is all that is left"
        );
        let asked = FailureContext { retry_after_ms: Some(2_000), ..context(1) };
        assert_eq!(p.recovery(&provider(503, "SlowDown"), &asked), Recovery::Retry { delay_ms: 2_000 });
        let greedy = FailureContext { retry_after_ms: Some(3_600_000), ..context(1) };
        assert_eq!(
            p.recovery(&provider(429, "TooManyRequests"), &greedy),
            Recovery::Retry { delay_ms: 20_000 },
            "capped"
        );
        let never = RetryPolicy { attempts: 0, ..p };
        let answer = |value: &str| crate::http::Response {
            status: 503,
            headers: vec![("Retry-After".into(), value.into())],
            body: Vec::new(),
        };
        assert_eq!(retry_after_ms(&answer(" 2 ")), Some(2_000));
        assert_eq!(retry_after_ms(&answer("Fri, 31 Dec 1999 23:59:59 GMT")), None, "a date: the backoff decides");
        assert_eq!(never.recovery(&provider(500, "InternalError"), &context(1)), Recovery::GiveUp);
    }
}
