//! The only place allowed to read the system clock. Everything else takes `now`
//! (Unix seconds) from a [`Clock`], so expiry and lifetimes are tested without
//! sleeping — and so do the caches, whose freshness is measured on the clock's
//! monotonic reading.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

/// Seconds since the Unix epoch.
pub type Timestamp = i64;

pub trait Clock: Send + Sync + 'static {
    /// Business time: expiry, lifetimes, audit timestamps.
    fn now(&self) -> Timestamp;
    /// Time elapsed since an arbitrary origin, never going back: how old a cached
    /// copy is, whatever happens to the wall clock.
    fn monotonic(&self) -> Duration;
}

#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

#[allow(clippy::disallowed_methods)]
static ORIGIN: LazyLock<Instant> = LazyLock::new(Instant::now);

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> Timestamp {
        chrono::Utc::now().timestamp()
    }
    #[allow(clippy::disallowed_methods)]
    fn monotonic(&self) -> Duration {
        Instant::now().duration_since(*ORIGIN)
    }
}

/// A clock that tests move by hand: [`ManualClock::advance`] moves both readings,
/// [`ManualClock::advance_monotonic`] only the one caches use.
#[derive(Clone, Debug)]
pub struct ManualClock {
    wall: Arc<AtomicI64>,
    mono_ms: Arc<AtomicU64>,
}

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self {
            wall: Arc::new(AtomicI64::new(start)),
            mono_ms: Arc::new(AtomicU64::new(0)),
        }
    }
    pub fn advance(&self, seconds: i64) {
        self.wall.fetch_add(seconds, Ordering::SeqCst);
        self.mono_ms
            .fetch_add(seconds.max(0) as u64 * 1000, Ordering::SeqCst);
    }
    pub fn advance_monotonic(&self, by: Duration) {
        self.mono_ms
            .fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }
    pub fn set(&self, t: Timestamp) {
        self.wall.store(t, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        self.wall.load(Ordering::SeqCst)
    }
    fn monotonic(&self) -> Duration {
        Duration::from_millis(self.mono_ms.load(Ordering::SeqCst))
    }
}

/// Human-readable UTC rendering of a timestamp, e.g. `2026-11-24 05:12 UTC`.
pub fn format_utc(t: Timestamp) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "—".to_owned())
}

/// A UTC date, e.g. `2026-11-24`.
pub fn format_date(t: Timestamp) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "—".to_owned())
}

/// Parses a `YYYY-MM-DD` date as the end of that day, UTC (23:59:59).
pub fn parse_date_end(s: &str) -> Option<Timestamp> {
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(23, 59, 59)?.and_utc().timestamp())
}
