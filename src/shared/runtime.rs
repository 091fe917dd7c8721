//! Time and randomness, the two effects retry logic needs. WASM implements them with `Date.now`,
//! `setTimeout` and `Math.random`; tests use a fake that records sleeps instead of waiting.

#[allow(async_fn_in_trait)]
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> f64;
    /// Wait without blocking the event loop.
    async fn sleep(&self, ms: u64);
    /// A uniformly distributed number in `[0, 1)`, for jitter.
    fn random(&self) -> f64;
}

/// A flag a running job checks between batches: once set, no new batch starts.
#[derive(Debug, Clone, Default)]
pub struct Cancel(std::rc::Rc<std::cell::Cell<bool>>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.set(true);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.get()
    }
}

impl PartialEq for Cancel {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Formats epoch milliseconds as an RFC 3339 timestamp in UTC with millisecond precision.
pub fn iso_timestamp(epoch_ms: f64) -> String {
    let since_epoch = std::time::Duration::from_millis(epoch_ms.max(0.0) as u64);
    humantime::format_rfc3339_millis(std::time::UNIX_EPOCH + since_epoch).to_string()
}

#[cfg(test)]
pub mod fake {
    use std::cell::RefCell;

    use super::Clock;

    /// A clock that advances only when slept on, and records every sleep.
    #[derive(Default)]
    pub struct FakeClock {
        pub now: RefCell<f64>,
        pub sleeps: RefCell<Vec<u64>>,
        pub random: f64,
    }

    impl Clock for FakeClock {
        fn now_ms(&self) -> f64 {
            *self.now.borrow()
        }
        async fn sleep(&self, ms: u64) {
            self.sleeps.borrow_mut().push(ms);
            *self.now.borrow_mut() += ms as f64;
        }
        fn random(&self) -> f64 {
            self.random
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_iso_utc_with_millis() {
        assert_eq!(super::iso_timestamp(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(super::iso_timestamp(1_795_000_000_123.0), "2026-11-18T11:06:40.123Z");
    }
}
