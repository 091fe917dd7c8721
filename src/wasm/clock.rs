//! [`Clock`] on the JS event loop.

use crate::shared::runtime::Clock;

pub struct JsClock;

impl Clock for JsClock {
    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    async fn sleep(&self, ms: u64) {
        gloo_timers::future::TimeoutFuture::new(ms.min(u32::MAX as u64) as u32).await
    }

    fn random(&self) -> f64 {
        js_sys::Math::random()
    }
}
