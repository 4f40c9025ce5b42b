//! What travels through the broker: the job's payload and its bookkeeping.

use std::time::Duration;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::Job;

/// Why a job failed (or could not be enqueued).
///
/// A handler returns it to ask for a retry ([`JobError::retry`]) or to give up at
/// once ([`JobError::fatal`]: dead-lettered without further attempts).
///
/// ```
/// use apiarist::jobs::JobError;
///
/// let e = JobError::retry("mail server busy");
/// assert!(e.is_retryable());
/// assert_eq!(e.to_string(), "mail server busy");
/// assert!(!JobError::fatal("no such order").is_retryable());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct JobError {
    message: String,
    retryable: bool,
}

impl JobError {
    /// A failure worth another attempt.
    pub fn retry(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retryable: true,
        }
    }

    /// A failure no retry can fix: the job is dead-lettered at once.
    pub fn fatal(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retryable: false,
        }
    }

    /// Whether another attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<serde_json::Error> for JobError {
    fn from(error: serde_json::Error) -> Self {
        JobError::fatal(format!("payload does not fit the job type: {error}"))
    }
}

/// Where a job came from, so its logs can be tied to the request that caused it:
/// the W3C `traceparent` and the request id, carried in message headers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TraceContext {
    /// W3C trace context (`00-<trace id>-<span id>-<flags>`).
    pub traceparent: Option<String>,
    /// The `X-Request-Id` of the request that enqueued the job.
    pub request_id: Option<String>,
}

impl TraceContext {
    /// The context of the span being executed when traces are exported (a job
    /// enqueued by a job continues its trace), else empty.
    pub fn current() -> Self {
        Self {
            traceparent: crate::telemetry::TraceParent::current().map(|p| p.to_string()),
            request_id: None,
        }
    }
}

/// How to enqueue a job.
///
/// ```
/// use std::time::Duration;
/// use apiarist::jobs::EnqueueOptions;
///
/// let options = EnqueueOptions {
///     delay: Some(Duration::from_secs(30)),
///     idempotency_key: Some("confirm-order-7".into()),
///     ..EnqueueOptions::default()
/// };
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnqueueOptions {
    /// Run no sooner than this long from now.
    pub delay: Option<Duration>,
    /// 0 (default) to 9: higher runs first when jobs wait.
    pub priority: Option<u8>,
    /// Jobs with the same key are one job: a second enqueue is a no-op where the
    /// broker or outbox can tell, and handlers can claim the key to run an effect
    /// once.
    pub idempotency_key: Option<String>,
    /// The originating request's trace context.
    pub trace: Option<TraceContext>,
}

/// A job as the broker stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Envelope {
    /// Unique per enqueue.
    pub id: Uuid,
    /// The job's name ([`Job::NAME`]): its queue.
    pub name: String,
    /// The payload, as JSON.
    pub payload: Value,
    /// Attempts made so far (0 until the first delivery finishes).
    pub attempts: u32,
    /// Attempts allowed before dead-lettering.
    pub max_attempts: u32,
    /// When it was enqueued.
    pub enqueued_at: DateTime<Utc>,
    /// Not to run before this time (a delay).
    pub not_before: Option<DateTime<Utc>>,
    /// 0 to 9, higher first.
    pub priority: u8,
    /// See [`EnqueueOptions::idempotency_key`].
    pub idempotency_key: Option<String>,
    /// Where it came from.
    pub trace: TraceContext,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

impl Envelope {
    /// The envelope of `job` enqueued now with `options`.
    pub fn new<J: Job>(job: &J, options: EnqueueOptions) -> Result<Self, JobError> {
        let now = Utc::now();
        let not_before = options
            .delay
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| now + d);
        Ok(Self {
            id: Uuid::new_v4(),
            name: J::NAME.to_owned(),
            payload: serde_json::to_value(job)?,
            attempts: 0,
            max_attempts: J::MAX_ATTEMPTS,
            enqueued_at: now,
            not_before,
            priority: options.priority.unwrap_or(0).min(9),
            idempotency_key: options.idempotency_key,
            trace: options.trace.unwrap_or_else(TraceContext::current),
            last_error: None,
        })
    }

    /// The key that identifies the job's effect: its idempotency key, else its id.
    pub fn effect_key(&self) -> String {
        self.idempotency_key
            .clone()
            .unwrap_or_else(|| self.id.to_string())
    }

    /// The payload as `J`.
    pub fn decode<J: Job>(&self) -> Result<J, JobError> {
        Ok(J::deserialize(&self.payload)?)
    }

    /// How long until it may run (zero if due).
    pub fn delay_left(&self) -> Duration {
        self.not_before
            .and_then(|t| (t - Utc::now()).to_std().ok())
            .unwrap_or_default()
    }
}
