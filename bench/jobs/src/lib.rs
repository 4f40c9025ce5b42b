//! Shared parts of the jobs throughput benchmark (`bash bench/jobs.sh`, see
//! `bench/README.md`): command-line options, the completion counter and the result
//! line that `bench/jobs.sh` reads.
//!
//! Both binaries measure the same thing on a single-threaded actix system (the
//! runtime an apiarist service runs its worker on): one warm-up job goes through
//! first (connection, queue declaration, subscription), then the clock starts, `n`
//! jobs are published with at most `in_flight` publishes awaiting their broker
//! confirm, and the clock stops once the consumer has acknowledged all `n` of them.

use std::{
    cell::Cell,
    rc::Rc,
    time::{Duration, Instant},
};

use tokio::sync::Notify;

/// The benchmark's knobs, from the command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// Jobs to measure (after one warm-up job).
    pub n: u64,
    /// Unacknowledged deliveries the broker hands the consumer (`basic.qos`).
    pub prefetch: u16,
    /// Jobs handled at the same time.
    pub concurrency: usize,
    /// Publishes awaiting their confirm at the same time.
    pub in_flight: usize,
    /// The broker.
    pub url: String,
    /// Give up after this long.
    pub timeout: Duration,
    /// `x-max-priority` of the baseline's queue (0: a plain queue); `jobs-lapin` only.
    pub max_priority: u8,
    /// `jobs-lapin` only, for experiments: publish what apiarist publishes (the
    /// payload as body, its properties and headers, through a direct exchange with
    /// `mandatory`), to tell the broker's extra work from the framework's.
    pub envelope: bool,
    /// For experiments: publish all jobs first, then consume them, timing each phase
    /// on its own (`--phases 1`), to see which side is slower.
    pub phases: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            n: 20_000,
            prefetch: 64,
            concurrency: 64,
            in_flight: 64,
            url: std::env::var("AMQP_URL")
                .ok()
                .filter(|url| !url.is_empty())
                .unwrap_or_else(|| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned()),
            timeout: Duration::from_secs(300),
            max_priority: 0,
            envelope: false,
            phases: false,
        }
    }
}

impl Options {
    /// Parses `--n`, `--prefetch`, `--concurrency`, `--in-flight`, `--url`,
    /// `--timeout` (seconds), `--max-priority`, `--envelope` and `--phases` (`0`/`1`);
    /// exits with a usage message on anything else.
    pub fn from_args(program: &str) -> Self {
        match Self::parse(std::env::args().skip(1)) {
            Ok(options) => options,
            Err(error) => {
                eprintln!("{program}: {error}");
                eprintln!(
                    "usage: {program} [--n 20000] [--prefetch 64] [--concurrency 64] \
                     [--in-flight 64] [--url amqp://...] [--timeout 300] [--max-priority 0] \
                     [--envelope 0] [--phases 0]"
                );
                std::process::exit(2);
            }
        }
    }

    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        fn num<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
            value
                .parse()
                .map_err(|_| format!("{flag} wants a number, not {value:?}"))
        }
        let mut options = Self::default();
        while let Some(flag) = args.next() {
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--n" => options.n = num(&flag, &value)?,
                "--prefetch" => options.prefetch = num(&flag, &value)?,
                "--concurrency" => options.concurrency = num(&flag, &value)?,
                "--in-flight" => options.in_flight = num(&flag, &value)?,
                "--url" => options.url = value,
                "--timeout" => options.timeout = Duration::from_secs(num(&flag, &value)?),
                "--max-priority" => options.max_priority = num(&flag, &value)?,
                "--envelope" => options.envelope = num::<u8>(&flag, &value)? != 0,
                "--phases" => options.phases = num::<u8>(&flag, &value)? != 0,
                _ => return Err(format!("unknown option {flag}")),
            }
        }
        if options.n == 0 || options.concurrency == 0 || options.in_flight == 0 {
            return Err("--n, --concurrency and --in-flight must be at least 1".to_owned());
        }
        Ok(options)
    }
}

/// A short random suffix, so each run gets queues of its own.
pub fn run_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

/// Counts finished jobs on the (single-threaded) runtime; [`Done::reached`] waits
/// for a count. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Done {
    inner: Rc<DoneInner>,
}

#[derive(Debug, Default)]
struct DoneInner {
    count: Cell<u64>,
    target: Cell<u64>,
    reached: Notify,
}

impl Done {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// One more job finished (wakes the waiter when its target is reached).
    pub fn add(&self) {
        let count = self.inner.count.get() + 1;
        self.inner.count.set(count);
        if count == self.inner.target.get() {
            self.inner.reached.notify_one();
        }
    }

    /// The count so far.
    pub fn get(&self) -> u64 {
        self.inner.count.get()
    }

    /// Waits until at least `target` jobs finished, or fails after `timeout`.
    pub async fn reached(&self, target: u64, timeout: Duration) -> Result<(), String> {
        self.inner.target.set(target);
        if self.get() < target
            && tokio::time::timeout(timeout, self.inner.reached.notified())
                .await
                .is_err()
        {
            return Err(format!(
                "only {} of {target} jobs finished within {timeout:?}",
                self.get()
            ));
        }
        Ok(())
    }
}

/// Prints the human summary and the `RESULT ...` line `bench/jobs.sh` parses.
pub fn report(contender: &str, options: &Options, started: Instant, enqueued: Duration) {
    let elapsed = started.elapsed();
    let rate = options.n as f64 / elapsed.as_secs_f64();
    eprintln!(
        "{contender}: {} jobs in {:.3} s (all enqueued after {:.3} s): {rate:.0} jobs/s \
         (prefetch {}, concurrency {}, in flight {})",
        options.n,
        elapsed.as_secs_f64(),
        enqueued.as_secs_f64(),
        options.prefetch,
        options.concurrency,
        options.in_flight,
    );
    println!(
        "RESULT contender={contender} n={} seconds={:.4} enqueue_seconds={:.4} jobs_per_s={rate:.1}",
        options.n,
        elapsed.as_secs_f64(),
        enqueued.as_secs_f64(),
    );
}

/// Prints the rates of the two phases of a `--phases 1` run.
pub fn report_phases(contender: &str, options: &Options, publish: Duration, consume: Duration) {
    let rate = |d: Duration| options.n as f64 / d.as_secs_f64();
    eprintln!(
        "{contender}: publish only {:.0} jobs/s ({:.3} s), then consume only {:.0} jobs/s ({:.3} s)",
        rate(publish),
        publish.as_secs_f64(),
        rate(consume),
        consume.as_secs_f64(),
    );
    println!(
        "PHASES contender={contender} n={} publish_jobs_per_s={:.1} consume_jobs_per_s={:.1}",
        options.n,
        rate(publish),
        rate(consume),
    );
}
