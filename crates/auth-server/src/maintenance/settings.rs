//! `AUTH_CLEANUP_EVERY_MINUTES` and `AUTH_EVENT_RETENTION_DAYS`.
use std::time::Duration;

use service_kit::config::Loader;

use crate::domain::retention::{EventRetention, DEFAULT_EVENT_RETENTION_DAYS};

pub const DEFAULT_EVERY_MINUTES: u64 = 10;
/// The longest period: a day.
pub const MAX_EVERY_MINUTES: u64 = 24 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanupSettings {
    /// `AUTH_CLEANUP_EVERY_MINUTES` (default 10, at most 1440): how often
    /// expired rows are deleted, by one instance at a time. `None` (0): this
    /// instance never does it, another one must.
    pub every: Option<Duration>,
    /// `AUTH_EVENT_RETENTION_DAYS` (default 400; 0 keeps events forever).
    pub event_retention: EventRetention,
}

impl Default for CleanupSettings {
    fn default() -> Self {
        Self {
            every: Some(Duration::from_secs(DEFAULT_EVERY_MINUTES * 60)),
            event_retention: EventRetention::default(),
        }
    }
}

impl CleanupSettings {
    /// Reads the settings, recording problems in `loader`.
    pub fn read(loader: &mut Loader<'_>) -> Self {
        let minutes: u64 = loader.parse("AUTH_CLEANUP_EVERY_MINUTES", DEFAULT_EVERY_MINUTES);
        if minutes > MAX_EVERY_MINUTES {
            loader.problem(format!(
                "AUTH_CLEANUP_EVERY_MINUTES must be at most {MAX_EVERY_MINUTES} (a day), or 0 \
                 for an instance that never runs the cleanup"
            ));
        }
        let days: i64 = loader.parse("AUTH_EVENT_RETENTION_DAYS", DEFAULT_EVENT_RETENTION_DAYS);
        let event_retention = EventRetention::from_days(days).unwrap_or_else(|e| {
            loader.problem(format!("AUTH_EVENT_RETENTION_DAYS {e}"));
            EventRetention::default()
        });
        Self {
            every: (minutes > 0).then(|| Duration::from_secs(minutes.min(MAX_EVERY_MINUTES) * 60)),
            event_retention,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use service_kit::config::Env;

    fn read(pairs: &[(&str, &str)]) -> (CleanupSettings, Vec<String>) {
        let env = Env::from_pairs(pairs.iter().copied());
        let mut loader = Loader::new(&env);
        let settings = CleanupSettings::read(&mut loader);
        let problems = loader.finish().err().map_or_else(Vec::new, |e| e.problems);
        (settings, problems)
    }

    #[test]
    fn every_ten_minutes_and_four_hundred_days_by_default() {
        let (settings, problems) = read(&[]);
        assert_eq!(settings, CleanupSettings::default());
        assert_eq!(settings.every, Some(Duration::from_secs(600)));
        assert_eq!(settings.event_retention.days(), Some(400));
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn zero_turns_the_cleanup_off_here_and_keeps_events_forever() {
        let (settings, problems) = read(&[
            ("AUTH_CLEANUP_EVERY_MINUTES", "0"),
            ("AUTH_EVENT_RETENTION_DAYS", "0"),
        ]);
        assert_eq!(settings.every, None);
        assert_eq!(settings.event_retention.days(), None);
        assert!(problems.is_empty(), "{problems:?}");
        let (settings, _) = read(&[("AUTH_CLEANUP_EVERY_MINUTES", "1440")]);
        assert_eq!(settings.every, Some(Duration::from_secs(86_400)));
    }

    #[test]
    fn out_of_range_values_are_named() {
        for (key, value) in [
            ("AUTH_CLEANUP_EVERY_MINUTES", "1441"),
            ("AUTH_CLEANUP_EVERY_MINUTES", "-1"),
            ("AUTH_EVENT_RETENTION_DAYS", "-1"),
            ("AUTH_EVENT_RETENTION_DAYS", "36501"),
            ("AUTH_EVENT_RETENTION_DAYS", "a year"),
        ] {
            let (_, problems) = read(&[(key, value)]);
            assert_eq!(problems.len(), 1, "{key}={value}");
            assert!(problems[0].contains(key), "{key}={value}: {problems:?}");
        }
    }
}
