//! 后台同步: a tokio task that runs a sync round on an interval, backs off after failures, and
//! stops when told.
//!
//! Invariants:
//! - The task only calls the round it is given; it never holds anything a payment needs, so the
//!   counter's money path never waits for it (a round holds SQLite's write lock only for one batch's
//!   marks or one pull page at a time, see `engine`).
//! - After `n` failures in a row the next round waits [`backoff`]`(n)`: exponential from the
//!   interval, capped at [`RunnerConfig::max_backoff`], with jitter (between half and all of it), so
//!   a hall's counters coming back together do not hit the ledger in step. A success returns to
//!   the plain interval. "Not enrolled" waits the plain interval: it is not a failure of the network.
//! - [`Runner::stop`] ends the task promptly, also in the middle of a round (every round is safe to
//!   abandon: a transaction not committed rolls back, an unanswered push is resent next time).

use std::{future::Future, sync::Arc, time::Duration};

use rand::Rng;
use tokio::sync::{Notify, watch};

use super::engine::SyncReport;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunnerConfig {
    /// Between rounds while all is well (default 30 s).
    pub interval: Duration,
    /// The longest wait after failures (default 5 minutes).
    pub max_backoff: Duration,
}

impl Default for RunnerConfig {
    fn default() -> RunnerConfig {
        RunnerConfig { interval: Duration::from_secs(30), max_backoff: Duration::from_secs(300) }
    }
}

/// The wait before the next round after `failures` failures in a row (0 = the plain interval).
/// Without jitter: interval × 2^(failures−1), at most `max_backoff`; the jitter picks uniformly
/// between half of that and all of it.
pub fn backoff(cfg: &RunnerConfig, failures: u32, rng: &mut impl Rng) -> Duration {
    if failures == 0 {
        return cfg.interval;
    }
    let cap = u64::try_from(cfg.max_backoff.as_millis()).unwrap_or(u64::MAX).max(1);
    let base = u64::try_from(cfg.interval.as_millis()).unwrap_or(u64::MAX).max(1);
    let full = base.saturating_mul(1u64 << (failures - 1).min(32)).min(cap);
    Duration::from_millis(rng.gen_range(full / 2..=full))
}

/// The background task. Dropping it without [`Runner::stop`] leaves the task running until the
/// runtime ends.
#[derive(Debug)]
pub struct Runner {
    stop: watch::Sender<bool>,
    wake: Arc<Notify>,
    handle: tokio::task::JoinHandle<()>,
}

impl Runner {
    /// Start running `round` (e.g. `move || { let d = desk.clone(); async move { d.sync_once().await } }`)
    /// at once and then on the schedule.
    pub fn spawn<F, Fut>(cfg: RunnerConfig, round: F) -> Runner
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<SyncReport>> + Send + 'static,
    {
        let (stop, mut stopped) = watch::channel(false);
        let wake = Arc::new(Notify::new());
        let woken = wake.clone();
        let handle = tokio::spawn(async move {
            let mut failures: u32 = 0;
            loop {
                let outcome = tokio::select! {
                    r = round() => r,
                    _ = stopped.changed() => return,
                };
                failures = match outcome {
                    Ok(_) => 0,
                    Err(Error::SyncNotEnrolled) => 0,
                    Err(e) => {
                        tracing::debug!(code = e.code(), "sync round failed; backing off");
                        failures.saturating_add(1)
                    }
                };
                let wait = backoff(&cfg, failures, &mut rand::thread_rng());
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = woken.notified() => {}
                    _ = stopped.changed() => return,
                }
            }
        });
        Runner { stop, wake, handle }
    }

    /// Run a round now instead of waiting (e.g. after a payment, or the status bar's button).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Stop the task and wait for it to end.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.handle.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn backoff_is_bounded_and_jittered() {
        let cfg = RunnerConfig::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        assert_eq!(backoff(&cfg, 0, &mut rng), Duration::from_secs(30));
        for failures in 1..200u32 {
            let d = backoff(&cfg, failures, &mut rng);
            let full = Duration::from_secs(30 * (1u64 << (failures - 1).min(10))).min(cfg.max_backoff);
            assert!(d <= full && d >= full / 2, "{failures}: {d:?} not within [{:?}, {full:?}]", full / 2);
            assert!(d <= cfg.max_backoff);
        }
        let waits: std::collections::HashSet<Duration> = (0..50).map(|_| backoff(&cfg, 8, &mut rng)).collect();
        assert!(waits.len() > 40, "jitter spreads the waits: {} distinct of 50", waits.len());
    }
}
