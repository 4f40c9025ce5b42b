//! [`Jobs`]: enqueueing from a request, transactionally when the request has a `Tx`.

use actix_web::HttpRequest;

use super::{EnqueueOptions, Envelope, Job, JobError, JobQueue, TraceContext};
use crate::{Provide, RequestId, State, db::Tx, di, telemetry::TraceParent};

/// Enqueues jobs from a handler (a dependency: take `jobs: Jobs`).
///
/// - If the request holds a [`Tx`], the job is written to the outbox in that
///   transaction: published after the commit, never if the request fails.
/// - Otherwise it is published at once, and `enqueue` returns when the broker has it.
///
/// Either way the job carries the request's id and W3C trace context, so its logs can
/// be tied to the request. Needs a [`JobQueue`] in app state.
///
/// ```
/// use apiarist::{db::Tx, jobs::{Job, JobError, Jobs}, prelude::*};
///
/// #[derive(Debug, Serialize, Deserialize, JsonSchema)]
/// struct SendWelcome { user_id: i64 }
/// impl actix::Message for SendWelcome { type Result = Result<(), JobError>; }
/// impl Job for SendWelcome { const NAME: &'static str = "users.welcome"; }
///
/// /// Register.
/// #[api_operation(summary = "Register", error_code = 503)]
/// async fn register(tx: Tx, jobs: Jobs) -> Result<NoContent, HttpError> {
///     // ... insert the user through &*tx ...
///     jobs.enqueue(SendWelcome { user_id: 7 }).await
///         .map_err(|e| HttpError::new(503, e.to_string()))?; // staged in tx's outbox
///     Ok(NoContent)
/// }
/// # let _ = Router::new().post("/register", register);
/// ```
#[derive(Debug, Clone)]
pub struct Jobs {
    queue: JobQueue,
    req: HttpRequest,
    trace: TraceContext,
}

impl Jobs {
    /// Enqueues `job` now (see the type's docs for when it is published).
    pub async fn enqueue<J: Job>(&self, job: J) -> Result<Envelope, JobError> {
        self.enqueue_with(job, EnqueueOptions::default()).await
    }

    /// Enqueues `job` with a delay, priority or idempotency key.
    pub async fn enqueue_with<J: Job>(
        &self,
        job: J,
        mut options: EnqueueOptions,
    ) -> Result<Envelope, JobError> {
        options.trace.get_or_insert_with(|| self.trace.clone());
        let Some(tx) = di::peek::<Tx>(&self.req) else {
            return self.queue.enqueue_with(job, options).await;
        };
        let envelope = self.queue.enqueue_in(&*tx, job, options).await?;
        if let Some(outbox) = self.queue.outbox().cloned() {
            // After the response was sent, hence after the commit.
            crate::RequestScope::of(&self.req).defer(async move { outbox.nudge() });
        }
        Ok(envelope)
    }

    /// The request's trace context, as jobs enqueued from it carry it.
    pub fn trace(&self) -> &TraceContext {
        &self.trace
    }

    /// The queue behind the dependency.
    pub fn queue(&self) -> &JobQueue {
        &self.queue
    }
}

impl Provide for Jobs {
    type Needs = (State<JobQueue>, HttpRequest);
    const ERRORS: &'static [u16] = &[503];

    async fn provide((queue, req): Self::Needs) -> Result<Self, actix_web::Error> {
        let trace = trace_context(&req);
        Ok(Jobs {
            queue: JobQueue::clone(&queue),
            req,
            trace,
        })
    }
}
crate::injectable!(Jobs);

/// The request's trace context: its id and the `traceparent` the job continues
/// (see [`TraceParent::onward`]).
fn trace_context(req: &HttpRequest) -> TraceContext {
    let request_id = RequestId::current().map(|id| id.as_str().to_owned());
    TraceContext {
        traceparent: Some(TraceParent::onward(req.headers()).to_string()),
        request_id,
    }
}
