//! Login throttling per (account, client IP).
//!
//! After `max_failures` failed logins within `window`, the pair is locked out for
//! `lockout`: [`LoginThrottle::check`] answers [`RetryAfter`] until then. A
//! successful login clears the pair. Memory is bounded: idle pairs are pruned, and
//! past `max_entries` the least recently seen pairs are forgotten.
//!
//! Every method takes the current [`Instant`], so tests move time instead of sleeping.
//! Normalise the account (e.g. lower-case it) before calling, or `Alice` and
//! `alice` are throttled separately.

use std::{
    collections::{HashMap, VecDeque},
    time::{Duration, Instant},
};

use super::error::RetryAfter;

/// Limits of a [`LoginThrottle`].
///
/// ```
/// let config = apiarist::auth::ThrottleConfig::default();
/// assert_eq!(config.max_failures, 5);
/// assert_eq!(config.window.as_secs(), 15 * 60);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Failures within `window` that trigger a lockout (default 5; 0 acts as 1).
    pub max_failures: u32,
    /// How far back failures count (default 15 minutes).
    pub window: Duration,
    /// How long a locked-out pair is refused (default 15 minutes).
    pub lockout: Duration,
    /// Pairs tracked at most (default 100 000).
    pub max_entries: usize,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            max_failures: 5,
            window: Duration::from_secs(15 * 60),
            lockout: Duration::from_secs(15 * 60),
            max_entries: 100_000,
        }
    }
}

#[derive(Debug)]
struct Entry {
    /// Recent failures, oldest first; never more than `max_failures`.
    failures: VecDeque<Instant>,
    locked_until: Option<Instant>,
    last_seen: Instant,
}

impl Entry {
    fn locked(&self, now: Instant) -> Option<RetryAfter> {
        self.locked_until
            .filter(|&until| until > now)
            .map(|until| RetryAfter(until - now))
    }

    fn forget_before(&mut self, cutoff: Option<Instant>) {
        if let Some(cutoff) = cutoff {
            while self.failures.front().is_some_and(|&t| t <= cutoff) {
                self.failures.pop_front();
            }
        }
    }
}

/// Counts failed logins per (account, client IP) and refuses attempts after too
/// many.
///
/// ```
/// use std::time::{Duration, Instant};
/// use apiarist::auth::{LoginThrottle, ThrottleConfig};
///
/// let mut throttle = LoginThrottle::new(ThrottleConfig { max_failures: 2, ..Default::default() });
/// let now = Instant::now();
/// assert!(throttle.check("alice", "10.0.0.1", now).is_ok());
/// assert!(throttle.record_failure("alice", "10.0.0.1", now).is_ok());
/// let refused = throttle.record_failure("alice", "10.0.0.1", now).unwrap_err();
/// assert_eq!(refused.0, Duration::from_secs(15 * 60));
/// assert!(throttle.check("alice", "10.0.0.2", now).is_ok()); // another client
/// ```
#[derive(Debug)]
pub struct LoginThrottle {
    config: ThrottleConfig,
    entries: HashMap<(String, String), Entry>,
}

impl LoginThrottle {
    /// An empty throttle with these limits.
    pub fn new(config: ThrottleConfig) -> Self {
        LoginThrottle {
            config,
            entries: HashMap::new(),
        }
    }

    /// The limits in force.
    pub fn config(&self) -> &ThrottleConfig {
        &self.config
    }

    /// `Err(RetryAfter)` while `account` is locked out for `ip`. Call before
    /// checking the password, and do not check it when refused.
    pub fn check(&self, account: &str, ip: &str, now: Instant) -> Result<(), RetryAfter> {
        match self.entries.get(&key(account, ip)) {
            Some(entry) => entry.locked(now).map_or(Ok(()), Err),
            None => Ok(()),
        }
    }

    /// Counts a failed login. Returns `Err(RetryAfter)` if the pair is (now) locked
    /// out; failures while already locked do not extend the lockout.
    pub fn record_failure(
        &mut self,
        account: &str,
        ip: &str,
        now: Instant,
    ) -> Result<(), RetryAfter> {
        let max = self.config.max_failures.max(1) as usize;
        let window_start = now.checked_sub(self.config.window);
        let entry = self
            .entries
            .entry(key(account, ip))
            .or_insert_with(|| Entry {
                failures: VecDeque::with_capacity(max),
                locked_until: None,
                last_seen: now,
            });
        entry.last_seen = now;
        if let Some(retry) = entry.locked(now) {
            return Err(retry);
        }
        entry.forget_before(window_start);
        entry.failures.push_back(now);
        let result = if entry.failures.len() >= max {
            entry.failures.clear();
            entry.locked_until = Some(now + self.config.lockout);
            Err(RetryAfter(self.config.lockout))
        } else {
            Ok(())
        };
        if self.entries.len() > self.config.max_entries {
            self.shrink(now);
        }
        result
    }

    /// Clears the pair's failures (and lockout) after a successful login.
    pub fn record_success(&mut self, account: &str, ip: &str) {
        self.entries.remove(&key(account, ip));
    }

    /// Forgets pairs that are not locked and have no failure inside the window.
    pub fn prune(&mut self, now: Instant) {
        let window_start = now.checked_sub(self.config.window);
        self.entries.retain(|_, entry| {
            entry.forget_before(window_start);
            entry.locked(now).is_some() || !entry.failures.is_empty()
        });
    }

    /// Pairs currently tracked.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no pair is tracked.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Prunes, then if still over the cap forgets the least recently seen pairs down
    /// to 90% of it, so a flood of distinct pairs costs one sort per 10% of the cap.
    fn shrink(&mut self, now: Instant) {
        self.prune(now);
        let target = self.config.max_entries - self.config.max_entries / 10;
        if self.entries.len() <= target {
            return;
        }
        let mut seen: Vec<(Instant, (String, String))> = self
            .entries
            .iter()
            .map(|(k, e)| (e.last_seen, k.clone()))
            .collect();
        let excess = seen.len() - target;
        seen.select_nth_unstable_by_key(excess - 1, |(t, _)| *t);
        for (_, k) in seen.into_iter().take(excess) {
            self.entries.remove(&k);
        }
    }
}

fn key(account: &str, ip: &str) -> (String, String) {
    (account.to_owned(), ip.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    fn throttle(max_failures: u32) -> LoginThrottle {
        LoginThrottle::new(ThrottleConfig {
            max_failures,
            window: 15 * MIN,
            lockout: 10 * MIN,
            max_entries: 100,
        })
    }

    #[test]
    fn locks_after_n_failures_until_the_lockout_passes() {
        let mut t = throttle(3);
        let t0 = Instant::now();
        assert_eq!(t.record_failure("a", "ip", t0), Ok(()));
        assert_eq!(t.record_failure("a", "ip", t0 + MIN), Ok(()));
        assert!(t.check("a", "ip", t0 + MIN).is_ok());
        assert_eq!(
            t.record_failure("a", "ip", t0 + 2 * MIN),
            Err(RetryAfter(10 * MIN))
        );
        assert_eq!(t.check("a", "ip", t0 + 5 * MIN), Err(RetryAfter(7 * MIN)));
        // Failures while locked neither count nor extend the lockout.
        assert_eq!(
            t.record_failure("a", "ip", t0 + 5 * MIN),
            Err(RetryAfter(7 * MIN))
        );
        assert_eq!(t.check("a", "ip", t0 + 12 * MIN), Ok(()));
        // A fresh start: the lockout cleared the count.
        assert_eq!(t.record_failure("a", "ip", t0 + 12 * MIN), Ok(()));
    }

    #[test]
    fn failures_outside_the_window_do_not_count() {
        let mut t = throttle(3);
        let t0 = Instant::now();
        t.record_failure("a", "ip", t0).unwrap();
        t.record_failure("a", "ip", t0 + 10 * MIN).unwrap();
        // At 16 minutes the first failure has left the 15-minute window.
        assert_eq!(t.record_failure("a", "ip", t0 + 16 * MIN), Ok(()));
        assert!(t.record_failure("a", "ip", t0 + 17 * MIN).is_err());
    }

    #[test]
    fn success_resets_only_that_pair() {
        let mut t = throttle(2);
        let t0 = Instant::now();
        t.record_failure("a", "ip1", t0).unwrap();
        t.record_failure("a", "ip2", t0).unwrap();
        t.record_success("a", "ip1");
        assert_eq!(t.record_failure("a", "ip1", t0), Ok(()), "ip1 starts over");
        assert!(
            t.record_failure("a", "ip2", t0).is_err(),
            "ip2 keeps its count"
        );
        assert!(t.check("b", "ip2", t0).is_ok(), "other accounts unaffected");
    }

    #[test]
    fn prune_forgets_idle_pairs_but_keeps_lockouts() {
        let mut t = throttle(2);
        let t0 = Instant::now();
        t.record_failure("idle", "ip", t0).unwrap();
        t.record_failure("locked", "ip", t0 + 14 * MIN).unwrap();
        assert!(t.record_failure("locked", "ip", t0 + 14 * MIN).is_err());
        assert_eq!(t.len(), 2);
        t.prune(t0 + 20 * MIN);
        assert_eq!(t.len(), 1, "the idle pair's failure left the window");
        assert!(
            t.check("locked", "ip", t0 + 20 * MIN).is_err(),
            "locked until t0+24min"
        );
        t.prune(t0 + 25 * MIN);
        assert!(t.is_empty());
    }

    #[test]
    fn memory_is_capped_by_forgetting_the_least_recent_pairs() {
        let mut t = throttle(5);
        let t0 = Instant::now();
        for i in 0..250u64 {
            t.record_failure(&format!("user{i}"), "ip", t0 + Duration::from_millis(i))
                .unwrap();
            assert!(t.len() <= 100, "len {} at {i}", t.len());
        }
        assert!(t.check("user249", "ip", t0).is_ok());
        assert!(t.entries.contains_key(&key("user249", "ip")), "newest kept");
        assert!(
            !t.entries.contains_key(&key("user0", "ip")),
            "oldest forgotten"
        );
    }
}
