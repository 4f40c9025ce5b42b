//! The limiter: the generic cell rate algorithm (GCRA), one instant per key.
//!
//! "`limit` requests per `window`" allows a burst of `limit`, then one more request
//! each `window / limit` as the allowance refills, with no fixed window edges to
//! game. A key's whole state is its theoretical arrival time (TAT); a TAT in the past
//! means the key is back to a full allowance, so such entries can be forgotten at
//! any time. Keys are spread over mutex-guarded shards so workers rarely wait.

use std::{
    collections::HashMap,
    hash::{BuildHasher, Hash, RandomState},
    sync::Mutex,
    time::{Duration, Instant},
};

const SHARDS: usize = 16;

/// Per-key allowances of one rate limit, shared by every worker of the process.
#[derive(Debug)]
pub(crate) struct Limiter<K> {
    /// Time one request uses up: `window / limit`.
    interval: Duration,
    window: Duration,
    shards: Box<[Mutex<HashMap<K, Instant>>]>,
    hasher: RandomState,
    /// Keys per shard before the forgettable ones are dropped.
    shard_capacity: usize,
}

impl<K: Hash + Eq> Limiter<K> {
    pub(crate) fn new(limit: u32, window: Duration, max_keys: usize) -> Self {
        Self {
            interval: window / limit.max(1),
            window,
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
            shard_capacity: (max_keys / SHARDS).max(1),
        }
    }

    /// Takes one request from `key`'s allowance, or says how long until there is one.
    pub(crate) fn acquire<Q>(&self, key: &Q, now: Instant) -> Result<(), Duration>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let shard = &self.shards[self.hasher.hash_one(key) as usize % SHARDS];
        let mut tats = shard.lock().unwrap_or_else(|e| e.into_inner());
        let tat = tats
            .get(key)
            .copied()
            .filter(|tat| *tat > now)
            .unwrap_or(now);
        let next = tat + self.interval;
        if let Some(allowed_at) = next.checked_sub(self.window)
            && allowed_at > now
        {
            return Err(allowed_at - now);
        }
        match tats.get_mut(key) {
            Some(slot) => *slot = next,
            None => {
                if tats.len() >= self.shard_capacity {
                    forget_idle(&mut tats, now, self.shard_capacity);
                }
                tats.insert(key.to_owned(), next);
            }
        }
        Ok(())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap().len()).sum()
    }
}

/// Drops keys back at a full allowance; if a flood of keys leaves the shard still
/// full, drops half of it (those keys get a fresh allowance: lenient, but bounded).
fn forget_idle<K: Hash + Eq>(tats: &mut HashMap<K, Instant>, now: Instant, capacity: usize) {
    tats.retain(|_, tat| *tat > now);
    if tats.len() >= capacity {
        let mut dropped = 0;
        tats.retain(|_, _| {
            dropped += 1;
            dropped % 2 == 0
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn allows_a_burst_then_one_per_interval() {
        let limiter = Limiter::<String>::new(3, 60 * S, 1000);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.acquire("a", t0), Ok(()));
        }
        assert_eq!(limiter.acquire("a", t0), Err(20 * S));
        assert_eq!(limiter.acquire("b", t0), Ok(()), "keys are independent");
        assert_eq!(limiter.acquire("a", t0 + 19 * S), Err(S));
        assert_eq!(limiter.acquire("a", t0 + 20 * S), Ok(()));
        assert!(limiter.acquire("a", t0 + 20 * S).is_err());
        // After a full window of quiet, the whole burst is back.
        for _ in 0..3 {
            assert_eq!(limiter.acquire("a", t0 + 200 * S), Ok(()));
        }
    }

    #[test]
    fn refused_requests_do_not_use_up_the_allowance() {
        let limiter = Limiter::<String>::new(1, 10 * S, 1000);
        let t0 = Instant::now();
        assert!(limiter.acquire("a", t0).is_ok());
        for i in 1..10 {
            assert!(limiter.acquire("a", t0 + i * S).is_err());
        }
        assert!(limiter.acquire("a", t0 + 10 * S).is_ok());
    }

    #[test]
    fn memory_stays_bounded_under_a_flood_of_keys() {
        let limiter = Limiter::<u32>::new(5, 60 * S, 160);
        let t0 = Instant::now();
        for key in 0..10_000u32 {
            assert!(limiter.acquire(&key, t0).is_ok());
        }
        assert!(limiter.len() <= 160, "{} keys kept", limiter.len());
    }
}
