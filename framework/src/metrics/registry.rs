//! The few metric kinds the framework records, on atomics, and their rendering in
//! Prometheus' text format (version 0.0.4).
//!
//! A recording is a couple of relaxed atomic additions on a handle found once and
//! then cached by its user; the registry's lock is taken only to find a new series
//! and to render.

use std::{
    collections::HashMap,
    fmt::Write as _,
    hash::Hash,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::Duration,
};

/// Latency buckets for requests, in seconds (Prometheus' usual defaults).
pub(crate) const REQUEST_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Duration buckets for jobs, in seconds: jobs run longer than requests.
pub(crate) const JOB_BUCKETS: &[f64] = &[0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0];

/// A histogram of durations: a count per bucket (not cumulative; summed when
/// rendered) and the sum in nanoseconds.
#[derive(Debug)]
pub(crate) struct Histogram {
    bounds: &'static [f64],
    /// One per bound, then `+Inf`.
    counts: Box<[AtomicU64]>,
    sum_nanos: AtomicU64,
}

impl Histogram {
    pub(crate) fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_nanos: AtomicU64::new(0),
        }
    }

    pub(crate) fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let bucket = self.bounds.partition_point(|bound| *bound < seconds);
        self.counts[bucket].fetch_add(1, Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Relaxed);
    }

    pub(crate) fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Relaxed)).sum()
    }

    /// Adds this histogram's counts and sum to `into`.
    fn add_to(&self, into: &mut Snapshot) {
        for (total, count) in into.counts.iter_mut().zip(self.counts.iter()) {
            *total += count.load(Relaxed);
        }
        into.sum_nanos += self.sum_nanos.load(Relaxed);
    }

    /// Writes the `_bucket`, `_sum` and `_count` lines of one series.
    pub(crate) fn write(&self, out: &mut String, name: &str, labels: &str) {
        let mut snapshot = Snapshot::new(self.bounds);
        self.add_to(&mut snapshot);
        snapshot.write(out, name, labels);
    }
}

/// A histogram's values at one moment (possibly summed over shards).
struct Snapshot {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum_nanos: u64,
}

impl Snapshot {
    fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            counts: vec![0; bounds.len() + 1],
            sum_nanos: 0,
        }
    }

    fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, count) in self.counts.iter().enumerate() {
            cumulative += count;
            match self.bounds.get(i) {
                Some(bound) => {
                    let _ = writeln!(
                        out,
                        "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {cumulative}"
                    );
                }
            }
        }
        let sum = self.sum_nanos as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {cumulative}");
    }
}

/// One series recorded by several worker threads, each on a histogram of its own
/// (so no cache line is shared between cores on the hot path), summed when rendered.
#[derive(Debug)]
pub(crate) struct Sharded {
    bounds: &'static [f64],
    shards: Mutex<Vec<Arc<Histogram>>>,
}

impl Sharded {
    pub(crate) fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            shards: Mutex::default(),
        }
    }

    /// A new shard, for one worker to record on.
    pub(crate) fn shard(&self) -> Arc<Histogram> {
        let shard = Arc::new(Histogram::new(self.bounds));
        self.lock().push(shard.clone());
        shard
    }

    /// The first shard, shared by occasional recorders.
    pub(crate) fn shared(&self) -> Arc<Histogram> {
        let mut shards = self.lock();
        if shards.is_empty() {
            shards.push(Arc::new(Histogram::new(self.bounds)));
        }
        shards[0].clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Histogram>>> {
        self.shards.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn snapshot(&self) -> Snapshot {
        let mut snapshot = Snapshot::new(self.bounds);
        for shard in self.lock().iter() {
            shard.add_to(&mut snapshot);
        }
        snapshot
    }

    pub(crate) fn count(&self) -> u64 {
        self.snapshot().count()
    }

    pub(crate) fn write(&self, out: &mut String, name: &str, labels: &str) {
        self.snapshot().write(out, name, labels);
    }
}

/// The series of one metric, by label values.
#[derive(Debug)]
pub(crate) struct Family<K, V> {
    series: Mutex<HashMap<K, Arc<V>>>,
}

impl<K: Eq + Hash + Clone, V> Family<K, V> {
    pub(crate) fn new() -> Self {
        Self {
            series: Mutex::new(HashMap::new()),
        }
    }

    /// The series for `key`, created by `make` the first time.
    pub(crate) fn get_or_insert(&self, key: K, make: impl FnOnce() -> V) -> Arc<V> {
        let mut series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        series
            .entry(key)
            .or_insert_with(|| Arc::new(make()))
            .clone()
    }

    /// Every series, for rendering.
    pub(crate) fn snapshot(&self) -> Vec<(K, Arc<V>)> {
        let series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        series.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

/// The `# HELP` and `# TYPE` lines of a metric.
pub(crate) fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// `name="value"` with the value escaped as the text format requires.
pub(crate) fn label(out: &mut String, name: &str, value: &str) {
    if !out.is_empty() {
        out.push(',');
    }
    out.push_str(name);
    out.push_str("=\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_render_cumulative_buckets() {
        let h = Histogram::new(&[0.1, 1.0]);
        h.observe(Duration::from_millis(50));
        h.observe(Duration::from_millis(100));
        h.observe(Duration::from_secs(3));
        let mut out = String::new();
        h.write(&mut out, "t", "a=\"b\"");
        assert_eq!(
            out,
            "t_bucket{a=\"b\",le=\"0.1\"} 2\nt_bucket{a=\"b\",le=\"1\"} 2\n\
             t_bucket{a=\"b\",le=\"+Inf\"} 3\nt_sum{a=\"b\"} 3.15\nt_count{a=\"b\"} 3\n"
        );
        assert_eq!(h.count(), 3);
    }

    #[test]
    fn shards_are_summed() {
        let series = Sharded::new(&[1.0]);
        series.shard().observe(Duration::from_millis(10));
        series.shard().observe(Duration::from_secs(2));
        series.shared().observe(Duration::from_millis(10));
        assert_eq!(series.count(), 3);
        let mut out = String::new();
        series.write(&mut out, "t", "");
        assert!(
            out.starts_with("t_bucket{le=\"1\"} 2\nt_bucket{le=\"+Inf\"} 3\n"),
            "{out}"
        );
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = String::new();
        label(&mut out, "route", "/a\"b\\c\n");
        label(&mut out, "status", "200");
        assert_eq!(out, "route=\"/a\\\"b\\\\c\\n\",status=\"200\"");
    }
}
