//! A job's final callback: where it goes, and delivering it once — by whichever process ended
//! the job, or, when it could not be delivered, by the next process whose sweep finds it due.

use super::settings::ExtensionSettings;
use crate::runs::callback::{check_url, deliver};
use crate::runs::jobs::{Changes, Guard, Held, JobStore, Keeper};
use crate::runs::progress::{Emit, Event, Level};
use crate::shared::http::Transport;
use crate::shared::runtime::Clock;
use crate::CoreError;

/// Rounds of attempts (each of several tries) before a callback is given up.
pub const CALLBACK_ROUNDS: u32 = 10;
/// How long a callback that could not be delivered waits before the next round.
pub const CALLBACK_RETRY_MS: f64 = 60_000.0;

/// Where a background run reports its end.
#[derive(Debug, Clone, PartialEq)]
pub struct Callback {
    pub url: String,
    /// `scheme://host[:port]`, what the job shows of it.
    pub origin: String,
    /// `MIGRATION_CALLBACK_SECRET`, to sign the body.
    pub secret: Option<String>,
}

impl Callback {
    /// `url`, checked, with the secret to sign with.
    pub fn to(url: &str, settings: &ExtensionSettings) -> Result<Self, CoreError> {
        let origin = check_url(url)?;
        let secret = Some(settings.callback_secret.clone()).filter(|s| !s.is_empty());
        Ok(Callback { url: url.trim().to_string(), origin, secret })
    }
}

/// Deliver the callback of a job this process holds (its body is in the job's state), while its
/// lease is kept, then write what became of it: delivered, given up, or due again in a while (and
/// the job let go, so that any process may try).
pub async fn deliver_callback<S: JobStore, C: Clock, T: Transport>(
    log: &impl Emit,
    keeper: &Keeper<'_, S, C>,
    held: &Held<'_, '_, S, C>,
    callback: &Callback,
    transport: &T,
) {
    let id = held.id.as_str();
    let Some(body) = keeper.with_job(id, |job| job.state.callback_body.clone()).flatten() else { return };
    let secret = callback.secret.as_deref();
    let state = held.during(deliver(transport, keeper.clock, &callback.url, &callback.origin, body, secret)).await;
    let line = match (state.delivered, state.last_status, &state.last_error) {
        (true, _, _) => format!("Callback delivered to {} (attempt {})", state.origin, state.attempts),
        (false, Some(status), _) => {
            format!("Callback to {} not taken: HTTP {status} after {} attempt(s)", state.origin, state.attempts)
        }
        (false, None, error) => format!(
            "Callback to {} not delivered after {} attempt(s): {}",
            state.origin,
            state.attempts,
            error.as_deref().unwrap_or("no answer")
        ),
    };
    let now = keeper.clock.now_ms();
    log.emit(&Event::log(Level::Info, line));
    let changes = keeper.with_job(id, |job| {
        job.state.callback_rounds += 1;
        let due = !state.delivered && job.state.callback_rounds < CALLBACK_ROUNDS;
        job.state.callback = Some(state);
        Changes {
            callback_due: Some(due),
            owner: Some(None),
            lease_until: Some(if due { now + CALLBACK_RETRY_MS } else { 0.0 }),
            updated_at: Some(now),
            state: Some(job.state_text()),
            ..Changes::default()
        }
    });
    if let Some(changes) = changes.filter(|_| !held.lost()) {
        let _ = keeper.store.job_update(id, &Guard::owned_by(keeper.owner), &changes).await;
    }
}
