//! One delivery, start to finish: decode, hand to the actor, settle.
//!
//! | outcome                                   | settles as                              |
//! |-------------------------------------------|-----------------------------------------|
//! | handler `Ok(())`                          | ack                                     |
//! | `JobError::retry`, attempts left          | retry after `backoff(attempt, ...)`     |
//! | `JobError::retry`, no attempts left       | dead letter (with the error)            |
//! | `JobError::fatal`                         | dead letter at once                     |
//! | payload does not decode into the job type | dead letter at once                     |
//! | the actor's mailbox is closed or full     | failed attempt (retryable)              |
//! | a panic (decoding, or in our code)        | failed attempt; the consumer restarts   |

use std::{panic::AssertUnwindSafe, sync::Arc, time::Duration};

use actix::{Actor, Addr, Handler as ActixHandler, dev::ToEnvelope};
use futures_util::FutureExt;
use tracing::{Instrument, field};

use crate::{
    jobs::{BoxFuture, Delivery, Envelope, Job, JobError, backoff},
    metrics::jobs::{JobOutcome, record},
    telemetry::{self, TraceParent},
};

/// What an attempt came to.
pub(super) enum Attempt {
    Done,
    Failed(JobError),
    /// The payload does not fit the job type: no retry can help.
    Undecodable(JobError),
}

type CallFn = dyn Fn(&Envelope) -> BoxFuture<'static, Attempt> + Send + Sync;

/// A job type's handler, with the job type erased.
pub(super) struct JobHandler {
    pub(super) name: &'static str,
    call: Box<CallFn>,
    retry_base: Duration,
    retry_max: Duration,
}

impl JobHandler {
    /// Jobs `J` go to `addr`.
    pub(super) fn actor<J, A>(addr: Addr<A>) -> Self
    where
        J: Job,
        A: Actor + ActixHandler<J>,
        A::Context: ToEnvelope<A, J>,
    {
        let call = move |envelope: &Envelope| -> BoxFuture<'static, Attempt> {
            let job = envelope.decode::<J>();
            let addr = addr.clone();
            Box::pin(async move {
                let job = match job {
                    Ok(job) => job,
                    Err(error) => return Attempt::Undecodable(error),
                };
                match addr.send(job).await {
                    Ok(Ok(())) => Attempt::Done,
                    Ok(Err(error)) => Attempt::Failed(error),
                    Err(mailbox) => Attempt::Failed(JobError::retry(format!(
                        "the handler actor did not answer: {mailbox}"
                    ))),
                }
            })
        };
        Self {
            name: J::NAME,
            call: Box::new(call),
            retry_base: J::RETRY_BASE,
            retry_max: J::RETRY_MAX,
        }
    }
}

impl std::fmt::Debug for JobHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobHandler")
            .field("name", &self.name)
            .field("retry_base", &self.retry_base)
            .field("retry_max", &self.retry_max)
            .finish_non_exhaustive()
    }
}

/// Runs and settles one delivery, in a span carrying the job's identity. Returns
/// whether it panicked (the caller restarts its consumer).
pub(super) async fn process(handler: Arc<JobHandler>, delivery: Box<dyn Delivery>) -> bool {
    let envelope = delivery.envelope().clone();
    let attempt = envelope.attempts.saturating_add(1);
    let span = tracing::info_span!(
        "job",
        job = %envelope.name,
        job_id = %envelope.id,
        attempt,
        max_attempts = envelope.max_attempts,
        request_id = field::Empty,
        traceparent = field::Empty,
        otel.kind = field::Empty,
        otel.status_code = field::Empty,
    );
    let parent = envelope.trace.traceparent.as_deref();
    telemetry::continue_trace(&span, "consumer", || parent.and_then(TraceParent::parse));
    telemetry::name_span(&span, || format!("job {}", envelope.name));
    if let Some(request_id) = &envelope.trace.request_id {
        span.record("request_id", request_id.as_str());
    }
    if let Some(traceparent) = &envelope.trace.traceparent {
        span.record("traceparent", traceparent.as_str());
    }
    run(handler, delivery, envelope, attempt)
        .instrument(span)
        .await
}

async fn run(
    handler: Arc<JobHandler>,
    delivery: Box<dyn Delivery>,
    mut envelope: Envelope,
    attempt: u32,
) -> bool {
    let started = std::time::Instant::now();
    tracing::debug!("job started");
    let call = AssertUnwindSafe(async { (handler.call)(&envelope).await });
    let (outcome, panicked) = match call.catch_unwind().await {
        Ok(outcome) => (outcome, false),
        Err(panic) => {
            let message = panic_message(&*panic);
            tracing::error!(panic = %message, "job handler panicked");
            let error = JobError::retry(format!("handler panicked: {message}"));
            (Attempt::Failed(error), true)
        }
    };
    let elapsed = started.elapsed();
    let elapsed_ms = elapsed.as_millis() as u64;
    if !matches!(outcome, Attempt::Done) {
        telemetry::mark_failed(&tracing::Span::current());
    }
    let settled = match outcome {
        Attempt::Done => {
            tracing::info!(elapsed_ms, "job done");
            record(handler.name, JobOutcome::Done, elapsed);
            delivery.ack().await
        }
        Attempt::Undecodable(error) => {
            envelope.attempts = attempt;
            envelope.last_error = Some(error.message().to_owned());
            tracing::error!(%error, "job payload does not decode; dead-lettered");
            record(handler.name, JobOutcome::DeadLettered, elapsed);
            delivery.dead_letter(envelope).await
        }
        Attempt::Failed(error) => {
            envelope.attempts = attempt;
            envelope.last_error = Some(error.message().to_owned());
            if error.is_retryable() && attempt < envelope.max_attempts {
                let delay = backoff(attempt, handler.retry_base, handler.retry_max);
                tracing::warn!(
                    %error, elapsed_ms, retry_in_ms = delay.as_millis() as u64,
                    "job failed; retrying"
                );
                record(handler.name, JobOutcome::Retried, elapsed);
                delivery.retry(envelope, delay).await
            } else {
                tracing::error!(
                    %error, elapsed_ms, retryable = error.is_retryable(),
                    "job failed for good; dead-lettered"
                );
                record(handler.name, JobOutcome::DeadLettered, elapsed);
                delivery.dead_letter(envelope).await
            }
        }
    };
    if let Err(error) = settled {
        tracing::error!(%error, "could not settle the job; the broker will deliver it again");
    }
    panicked
}

pub(super) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned())
}
