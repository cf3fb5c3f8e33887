//! Background work done in rounds: key rotation, cleanup, metering reports,
//! the sentinel, webhook deliveries, dunning. Every such task runs the same
//! loop: a round per period, a late round delayed rather than bunched, and a
//! round that panics costs that round only, never the task.
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

/// When the first round runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum First {
    /// At once, when the task starts.
    Now,
    /// One period after the task starts.
    AfterOnePeriod,
}

/// Spawns `round` every `period` (at least one second) until the task is
/// aborted or the runtime stops. `name` is what a panic is logged under; a
/// round reports its own failures.
pub fn spawn_every<F, Fut>(
    name: &'static str,
    period: Duration,
    first: First,
    mut round: F,
) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let period = period.max(Duration::from_secs(1));
    tokio::spawn(async move {
        let start = match first {
            First::Now => Instant::now(),
            First::AfterOnePeriod => Instant::now() + period,
        };
        let mut ticks = tokio::time::interval_at(start, period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if AssertUnwindSafe(round()).catch_unwind().await.is_err() {
                tracing::error!(task = name, "a round panicked; trying again next round");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn rounds_go_on_after_a_panic() {
        let rounds = Arc::new(AtomicUsize::new(0));
        let counted = rounds.clone();
        let task = spawn_every("test", Duration::from_secs(1), First::Now, move || {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                assert!(n != 1, "the second round panics");
            }
        });
        tokio::time::sleep(Duration::from_millis(3_500)).await;
        task.abort();
        assert_eq!(
            rounds.load(Ordering::SeqCst),
            4,
            "rounds at 0, 1, 2 and 3 s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_round_can_wait_one_period() {
        let rounds = Arc::new(AtomicUsize::new(0));
        let counted = rounds.clone();
        let task = spawn_every(
            "test",
            Duration::from_secs(5),
            First::AfterOnePeriod,
            move || {
                counted.fetch_add(1, Ordering::SeqCst);
                async {}
            },
        );
        tokio::time::sleep(Duration::from_millis(4_900)).await;
        assert_eq!(rounds.load(Ordering::SeqCst), 0);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(rounds.load(Ordering::SeqCst), 1);
        task.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn a_period_under_a_second_is_a_second() {
        let rounds = Arc::new(AtomicUsize::new(0));
        let counted = rounds.clone();
        let task = spawn_every("test", Duration::ZERO, First::Now, move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async {}
        });
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        task.abort();
        assert_eq!(rounds.load(Ordering::SeqCst), 3);
    }
}
