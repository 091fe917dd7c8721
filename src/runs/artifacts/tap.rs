//! The source as the data step sees it during a run with artifacts: every page read is also
//! written to the run's artifacts, as it is read. Everything else goes straight to the host.

use super::run::RunArtifacts;
use crate::host::{Hooked, Hooks, Host, HostError, Page, PageRequest};
use crate::runs::progress::{Phase, Timings};
use crate::shared::runtime::Clock;

/// The pages a run reads, written to its artifacts as they pass.
pub struct Tap<'t, 'a, H, C> {
    artifacts: &'t RunArtifacts<'a, H, C>,
    clock: &'t C,
    /// Where a page's reading and the artifacts' share of it are counted.
    timings: &'t Timings,
}

/// The artifacts' host, with every page read written to `artifacts` too (the time of both counted
/// in `timings`).
pub fn tapped<'t, 'a, H, C>(
    artifacts: &'t RunArtifacts<'a, H, C>,
    clock: &'t C,
    timings: &'t Timings,
) -> Hooked<'a, H, Tap<'t, 'a, H, C>> {
    Hooked::new(artifacts.host, Tap { artifacts, clock, timings })
}

impl<H: Host, C: Clock> Hooks<H> for Tap<'_, '_, H, C> {
    async fn read_page(&self, host: &H, request: &PageRequest) -> Result<Page, HostError> {
        let page = self.timings.time(self.clock, Phase::SourceRead, host.read_page(request)).await?;
        let saved = self.artifacts.page(&request.collection, &page.rows);
        self.timings.time(self.clock, Phase::Artifacts, saved).await;
        Ok(page)
    }
}
