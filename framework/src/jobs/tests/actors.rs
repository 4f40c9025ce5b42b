//! Job types and handler actors of the tests; handlers record into a shared [`Log`].

use std::{
    panic::AssertUnwindSafe,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU32, Ordering},
    },
    time::Duration,
};

use actix::prelude::*;
use futures_util::FutureExt;
use serde::{Deserialize, Deserializer, Serialize};
use tokio::time::Instant;

use super::eventually;
use crate::jobs::{Job, JobError};

/// The ordinary test job: quick retries, three attempts.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct Work {
    pub(crate) n: u32,
}

impl Message for Work {
    type Result = Result<(), JobError>;
}

impl Job for Work {
    const NAME: &'static str = "tests.work";
    const MAX_ATTEMPTS: u32 = 3;
    const RETRY_BASE: Duration = Duration::from_millis(50);
    const RETRY_MAX: Duration = Duration::from_secs(1);
}

/// A job whose payload panics while decoding when `word` is `"panic"`: a panic in
/// the worker's own hands.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct Touchy {
    #[serde(deserialize_with = "panic_on_panic")]
    pub(crate) word: String,
}

fn panic_on_panic<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let word = String::deserialize(d)?;
    assert!(word != "panic", "asked to panic while decoding");
    Ok(word)
}

impl Message for Touchy {
    type Result = Result<(), JobError>;
}

impl Job for Touchy {
    const NAME: &'static str = "tests.touchy";
    const MAX_ATTEMPTS: u32 = 2;
    const RETRY_BASE: Duration = Duration::from_millis(50);
}

/// One handled job.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub(crate) n: u32,
    pub(crate) at: Instant,
}

/// What handlers saw, and how they should behave.
#[derive(Debug, Default)]
pub(crate) struct Log {
    runs: Mutex<Vec<Run>>,
    words: Mutex<Vec<String>>,
    /// Calls that began (including failing and held ones).
    pub(crate) started: AtomicU32,
    /// Fail every attempt (retryable) while set.
    pub(crate) fail: AtomicBool,
    /// Panic in the next call (once).
    pub(crate) panic_next: AtomicBool,
    /// Supervisor restarts of the handler actor.
    pub(crate) restarts: AtomicU32,
    /// Time each call takes.
    pub(crate) hold: Mutex<Duration>,
    /// Calls running now, and the most at once.
    in_flight: AtomicU32,
    pub(crate) max_in_flight: AtomicU32,
}

impl Log {
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    pub(crate) fn runs(&self) -> Vec<Run> {
        self.runs.lock().unwrap().clone()
    }

    pub(crate) fn ns(&self) -> Vec<u32> {
        self.runs().iter().map(|r| r.n).collect()
    }

    pub(crate) fn words(&self) -> Vec<String> {
        self.words.lock().unwrap().clone()
    }

    pub(crate) fn hold_for(&self, hold: Duration) {
        *self.hold.lock().unwrap() = hold;
    }

    /// Waits until `count` calls have finished.
    pub(crate) async fn wait_runs(&self, count: usize) -> Vec<Run> {
        let what = format!("{count} jobs ran");
        eventually(Duration::from_secs(10), &what, || async {
            self.runs.lock().unwrap().len() >= count
        })
        .await;
        self.runs()
    }

    /// Waits until `count` calls have begun.
    pub(crate) async fn wait_started(&self, count: u32) {
        let what = format!("{count} jobs started");
        eventually(Duration::from_secs(10), &what, || async {
            self.started.load(Ordering::SeqCst) >= count
        })
        .await;
    }

    /// One call: note it, wait `hold`, record the run, fail if asked to.
    async fn call(self: Arc<Self>, n: u32) -> Result<(), JobError> {
        self.started.fetch_add(1, Ordering::SeqCst);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let hold = *self.hold.lock().unwrap();
        if !hold.is_zero() {
            tokio::time::sleep(hold).await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.runs.lock().unwrap().push(Run {
            n,
            at: Instant::now(),
        });
        if self.fail.load(Ordering::SeqCst) {
            return Err(JobError::retry(format!("boom {n}")));
        }
        Ok(())
    }
}

/// A plain handler actor.
pub(crate) struct Recorder {
    pub(crate) log: Arc<Log>,
}

impl Actor for Recorder {
    type Context = Context<Self>;
}

impl Handler<Work> for Recorder {
    type Result = ResponseFuture<Result<(), JobError>>;

    fn handle(&mut self, job: Work, _: &mut Context<Self>) -> Self::Result {
        Box::pin(self.log.clone().call(job.n))
    }
}

impl Handler<Touchy> for Recorder {
    type Result = Result<(), JobError>;

    fn handle(&mut self, job: Touchy, _: &mut Context<Self>) -> Self::Result {
        self.log.words.lock().unwrap().push(job.word);
        Ok(())
    }
}

/// A handler actor in the [`DbActor`](crate::db::DbActor) style: its work runs under
/// `catch_unwind`; a panic fails the attempt and stops the actor, which its
/// supervisor restarts.
pub(crate) struct Fragile {
    pub(crate) log: Arc<Log>,
}

impl Actor for Fragile {
    type Context = Context<Self>;
}

impl Supervised for Fragile {
    fn restarting(&mut self, _: &mut Context<Self>) {
        self.log.restarts.fetch_add(1, Ordering::SeqCst);
    }
}

impl Handler<Work> for Fragile {
    type Result = ResponseActFuture<Self, Result<(), JobError>>;

    fn handle(&mut self, job: Work, _: &mut Context<Self>) -> Self::Result {
        let log = self.log.clone();
        let work = async move {
            if log.panic_next.swap(false, Ordering::SeqCst) {
                log.started.fetch_add(1, Ordering::SeqCst);
                panic!("fragile handler gave way");
            }
            log.call(job.n).await
        };
        Box::pin(
            AssertUnwindSafe(work)
                .catch_unwind()
                .into_actor(self)
                .map(|result, _act, ctx| {
                    result.unwrap_or_else(|_| {
                        ctx.stop();
                        Err(JobError::retry("the handler panicked"))
                    })
                }),
        )
    }
}

/// A handler actor that panics outright (no protection): its task dies.
pub(crate) struct Brittle;

impl Actor for Brittle {
    type Context = Context<Self>;
}

impl Handler<Work> for Brittle {
    type Result = Result<(), JobError>;

    fn handle(&mut self, job: Work, _: &mut Context<Self>) -> Self::Result {
        panic!("brittle handler broke on job {}", job.n);
    }
}
