//! How hard the client presses the destination: at most `limit` requests in flight, lowered when
//! the destination says it is overwhelmed (429, 503) and raised again as answers come back
//! healthy (additive increase, multiplicative decrease), and optionally no more than a fixed
//! number of requests per second, for a destination that serves live traffic.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::shared::runtime::Clock;

/// A change of pace, for progress streams and logs.
#[derive(Debug, Clone, PartialEq)]
pub enum PaceChange {
    /// Fewer requests in flight, because the destination answered `reason`.
    SlowDown { limit: usize, reason: String },
    /// More requests in flight again: the destination answers healthily.
    SpeedUp { limit: usize },
}

pub struct Throttle {
    max: usize,
    limit: Cell<usize>,
    in_flight: Cell<usize>,
    /// Healthy answers since the limit last changed.
    healthy: Cell<usize>,
    waiting: RefCell<VecDeque<Waker>>,
    /// Milliseconds between request starts (`maxRequestsPerSecond`), and when the next may start.
    interval_ms: Option<f64>,
    next_start: Cell<f64>,
}

impl Throttle {
    /// `max` requests in flight at most; `per_second` caps the rate when set.
    pub fn new(max: usize, per_second: Option<f64>) -> Self {
        let max = max.max(1);
        Throttle {
            max,
            limit: Cell::new(max),
            in_flight: Cell::new(0),
            healthy: Cell::new(0),
            waiting: RefCell::default(),
            interval_ms: per_second.filter(|r| *r > 0.0).map(|r| 1000.0 / r),
            next_start: Cell::new(0.0),
        }
    }

    #[cfg(test)]
    pub fn limit(&self) -> usize {
        self.limit.get()
    }

    /// Wait for a slot (and for the rate cap), then hold it until the returned guard is dropped.
    pub async fn admit<C: Clock>(&self, clock: &C) -> Slot<'_> {
        Admission { throttle: self }.await;
        if let Some(interval) = self.interval_ms {
            let now = clock.now_ms();
            let start = self.next_start.get().max(now);
            self.next_start.set(start + interval);
            if start > now {
                clock.sleep((start - now).ceil() as u64).await;
            }
        }
        Slot { throttle: self }
    }

    /// The destination answered healthily: after a run of such answers, allow one more in flight.
    pub fn healthy(&self) -> Option<PaceChange> {
        self.healthy.set(self.healthy.get() + 1);
        let limit = self.limit.get();
        if limit < self.max && self.healthy.get() >= limit * 4 {
            self.set_limit(limit + 1);
            return Some(PaceChange::SpeedUp { limit: limit + 1 });
        }
        None
    }

    /// The destination is overwhelmed (`reason`: what it answered): halve the requests in flight.
    pub fn overwhelmed(&self, reason: &str) -> Option<PaceChange> {
        let limit = self.limit.get();
        let lower = (limit / 2).max(1);
        self.healthy.set(0);
        if lower == limit {
            return None;
        }
        self.set_limit(lower);
        Some(PaceChange::SlowDown { limit: lower, reason: reason.to_string() })
    }

    fn set_limit(&self, limit: usize) {
        self.limit.set(limit);
        self.healthy.set(0);
        self.wake();
    }

    fn wake(&self) {
        let free = self.limit.get().saturating_sub(self.in_flight.get());
        let mut waiting = self.waiting.borrow_mut();
        for _ in 0..free {
            match waiting.pop_front() {
                Some(waker) => waker.wake(),
                None => break,
            }
        }
    }
}

struct Admission<'t> {
    throttle: &'t Throttle,
}

impl Future for Admission<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let throttle = self.throttle;
        if throttle.in_flight.get() < throttle.limit.get() {
            throttle.in_flight.set(throttle.in_flight.get() + 1);
            Poll::Ready(())
        } else {
            throttle.waiting.borrow_mut().push_back(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// A request in flight; dropping it frees the slot.
pub struct Slot<'t> {
    throttle: &'t Throttle,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let throttle = self.throttle;
        throttle.in_flight.set(throttle.in_flight.get().saturating_sub(1));
        throttle.wake();
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;

    use super::*;
    use crate::shared::runtime::fake::FakeClock;

    #[test]
    fn halves_when_overwhelmed_and_climbs_back_when_healthy() {
        let throttle = Throttle::new(8, None);
        assert_eq!(
            throttle.overwhelmed("HTTP 429"),
            Some(PaceChange::SlowDown { limit: 4, reason: "HTTP 429".into() })
        );
        assert_eq!(throttle.overwhelmed("HTTP 503").map(|_| throttle.limit()), Some(2));
        assert_eq!(throttle.overwhelmed("HTTP 503").map(|_| throttle.limit()), Some(1));
        assert_eq!(throttle.overwhelmed("HTTP 503"), None, "never below one");
        let changes: Vec<PaceChange> = (0..200).filter_map(|_| throttle.healthy()).collect();
        assert_eq!(changes.first(), Some(&PaceChange::SpeedUp { limit: 2 }));
        assert_eq!(throttle.limit(), 8, "back to the most it was allowed");
    }

    #[test]
    fn never_more_in_flight_than_the_limit() {
        let throttle = Rc::new(Throttle::new(2, None));
        let clock = Rc::new(FakeClock::default());
        let peak = Rc::new(Cell::new(0));
        let mut pool = LocalPool::new();
        let mut finish = Vec::new();
        for _ in 0..5 {
            let (done, wait) = futures::channel::oneshot::channel::<()>();
            finish.push(done);
            let (throttle, clock, peak) = (throttle.clone(), clock.clone(), peak.clone());
            pool.spawner()
                .spawn_local(async move {
                    let _slot = throttle.admit(&*clock).await;
                    peak.set(peak.get().max(throttle.in_flight.get()));
                    let _ = wait.await; // the request "runs" until the test lets it finish
                })
                .unwrap();
        }
        pool.run_until_stalled();
        assert_eq!(throttle.in_flight.get(), 2);
        for done in finish {
            let _ = done.send(());
            pool.run_until_stalled();
        }
        assert_eq!(peak.get(), 2);
        assert_eq!(throttle.in_flight.get(), 0);
    }

    #[test]
    fn a_rate_cap_spaces_request_starts() {
        let throttle = Throttle::new(4, Some(4.0));
        let clock = FakeClock::default();
        for _ in 0..3 {
            drop(futures::executor::block_on(throttle.admit(&clock)));
        }
        assert_eq!(*clock.sleeps.borrow(), vec![250, 250], "the first starts at once, then one every 250 ms");
    }
}
