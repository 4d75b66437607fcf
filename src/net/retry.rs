//! Retry timing: exponential backoff with jitter, and `Retry-After`.

use std::time::Duration;

use rand::RngExt;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// Exponential backoff: `base · 2^attempt`, capped, with ±25 % jitter so that
/// many jobs failing together do not retry together.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// The first delay.
    pub base: Duration,
    /// The longest delay.
    pub max: Duration,
}

impl Backoff {
    /// The delay before retry number `attempt` (0 for the first retry).
    pub fn delay(&self, attempt: u32) -> Duration {
        let exponential = self.base.saturating_mul(1u32 << attempt.min(16));
        let capped = exponential.min(self.max);
        let jitter = rand::rng().random_range(0.75..1.25);
        capped.mul_f64(jitter)
    }
}

/// The `Retry-After` header in seconds (the HTTP-date form is not used by the APIs we call).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped_with_jitter() {
        let backoff = Backoff {
            base: Duration::from_secs(1),
            max: Duration::from_secs(10),
        };
        for _ in 0..100 {
            let first = backoff.delay(0);
            assert!(first >= Duration::from_millis(750) && first <= Duration::from_millis(1250));
            let third = backoff.delay(2);
            assert!(third >= Duration::from_secs(3) && third <= Duration::from_secs(5));
            assert!(backoff.delay(30) <= Duration::from_millis(12_500));
        }
    }

    #[test]
    fn retry_after_reads_seconds() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
    }
}
