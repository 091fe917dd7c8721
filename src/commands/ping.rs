//! `GET /migration/test`: proves the endpoint reaches the WASM core.

use serde::Serialize;

use crate::shared::runtime::{iso_timestamp, Clock};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct PingReply {
    pub message: &'static str,
    pub timestamp: String,
}

pub fn ping(clock: &impl Clock) -> PingReply {
    PingReply { message: "Test endpoint working!", timestamp: iso_timestamp(clock.now_ms()) }
}

#[cfg(test)]
mod tests {
    use crate::shared::runtime::fake::FakeClock;

    #[test]
    fn answers_with_message_and_time() {
        let clock = FakeClock::default();
        *clock.now.borrow_mut() = 1_700_000_000_000.0;
        let reply = super::ping(&clock);
        assert_eq!(
            serde_json::to_value(reply).unwrap(),
            serde_json::json!({
                "message": "Test endpoint working!",
                "timestamp": "2023-11-14T22:13:20.000Z"
            })
        );
    }
}
