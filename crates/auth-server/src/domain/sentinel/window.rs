//! One tenant's detection window kept in memory: the attempts of the last
//! `window_secs`, oldest first, at most a fixed number of them (the newest).
//! The runner feeds it the events it reads past its cursor and drops what
//! the clock has moved out of the window, so a round costs what its new
//! events cost instead of a re-read of the whole window.
use std::collections::VecDeque;

use super::Attempt;

/// At most this many attempts of one tenant are kept: the newest by time,
/// as a read of the window ordered by time with this limit gives (an attack
/// bigger than this is found all the same).
pub const WINDOW_CAP: usize = 20_000;

/// A tenant's attempts in the window, ordered by time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    attempts: VecDeque<Attempt>,
    cap: usize,
}

impl Window {
    /// An empty window keeping at most `cap` attempts.
    pub fn new(cap: usize) -> Self {
        Self {
            attempts: VecDeque::new(),
            cap: cap.max(1),
        }
    }

    /// A window holding `attempts` (in any order), capped.
    pub fn from_attempts(attempts: impl IntoIterator<Item = Attempt>, cap: usize) -> Self {
        let mut window = Self::new(cap);
        let mut all: Vec<Attempt> = attempts.into_iter().collect();
        // Stable: attempts of the same second keep their order.
        all.sort_by_key(|a| a.at);
        let skip = all.len().saturating_sub(window.cap);
        window.attempts = all.into_iter().skip(skip).collect();
        window
    }

    /// Adds one attempt in time order; past the cap the oldest goes.
    pub fn feed(&mut self, attempt: Attempt) {
        match self.attempts.back() {
            Some(last) if last.at > attempt.at => {
                // Written late (another instance's clock, a slow commit):
                // after every attempt of its second or earlier.
                let at = self.attempts.partition_point(|a| a.at <= attempt.at);
                self.attempts.insert(at, attempt);
            }
            _ => self.attempts.push_back(attempt),
        }
        while self.attempts.len() > self.cap {
            self.attempts.pop_front();
        }
    }

    /// Drops the attempts made at or before `since` (out of the window).
    pub fn expire(&mut self, since: i64) {
        while self.attempts.front().is_some_and(|a| a.at <= since) {
            self.attempts.pop_front();
        }
    }

    /// The attempts, oldest first, as one slice for the detectors.
    pub fn attempts(&mut self) -> &[Attempt] {
        self.attempts.make_contiguous()
    }

    pub fn len(&self) -> usize {
        self.attempts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.attempts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sentinel::Outcome;

    fn at(at: i64) -> Attempt {
        Attempt {
            outcome: Outcome::Failure,
            account: Some(format!("acct-{at}")),
            ip: None,
            at,
        }
    }

    fn times(w: &mut Window) -> Vec<i64> {
        w.attempts().iter().map(|a| a.at).collect()
    }

    #[test]
    fn fed_attempts_are_kept_in_time_order_even_when_written_late() {
        let mut w = Window::new(10);
        for t in [10, 12, 12, 15, 11, 15, 9] {
            w.feed(at(t));
        }
        assert_eq!(times(&mut w), [9, 10, 11, 12, 12, 15, 15]);
    }

    #[test]
    fn expiry_drops_what_the_clock_moved_out_of_the_window() {
        let mut w = Window::from_attempts([at(100), at(101), at(105), at(110)], 10);
        w.expire(101);
        assert_eq!(times(&mut w), [105, 110], "`at <= since` is out");
        w.expire(109);
        assert_eq!(times(&mut w), [110]);
        w.expire(200);
        assert!(w.is_empty());
    }

    #[test]
    fn past_the_cap_the_oldest_attempts_go() {
        let mut w = Window::new(3);
        for t in 1..=5 {
            w.feed(at(t));
        }
        assert_eq!(times(&mut w), [3, 4, 5]);
        // A late attempt older than all kept is not kept either.
        w.feed(at(2));
        assert_eq!(times(&mut w), [3, 4, 5]);
        w.feed(at(4));
        assert_eq!(times(&mut w), [4, 4, 5]);
        assert_eq!(w.len(), 3);
    }

    #[test]
    fn an_attempt_is_as_small_as_the_documented_memory_bound_assumes() {
        // docs/sentinel.md: about 150 bytes an attempt, this and the account
        // digest's 43 characters on the heap.
        assert!(std::mem::size_of::<Attempt>() <= 64);
    }

    #[test]
    fn a_rebuilt_window_keeps_the_newest_as_a_read_ordered_by_time_would() {
        // Rows come newest first from the store.
        let mut w = Window::from_attempts([at(9), at(7), at(8), at(3), at(5)], 3);
        assert_eq!(times(&mut w), [7, 8, 9]);
        // And is the same as the window fed one by one.
        let mut fed = Window::new(3);
        for t in [3, 5, 7, 8, 9] {
            fed.feed(at(t));
        }
        assert_eq!(fed, w);
    }
}
