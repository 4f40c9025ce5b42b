//! [`BackgroundTasks`]: work that runs after the response is sent (FastAPI's).

use std::{fmt::Display, future::Future, panic::AssertUnwindSafe};

use futures_util::FutureExt;
use tracing::Instrument;

use crate::{Provide, RequestId, RequestScope};

/// Tasks to run after the response has been sent, in the order they were added.
///
/// In-process and best effort, exactly like FastAPI's: a task that fails (returns
/// an `Err` or panics) is logged with the request id and never affects the
/// response; a task lost with the process is lost. Work that must not be lost goes
/// to [`Jobs`](crate::jobs::Jobs).
///
/// ```
/// use apiarist::{BackgroundTasks, prelude::*};
///
/// /// Subscribe to the newsletter.
/// #[api_operation(summary = "Subscribe")]
/// async fn subscribe(tasks: BackgroundTasks) -> Json<&'static str> {
///     tasks.add(async move {
///         // send the welcome mail...
///         Ok::<(), std::io::Error>(())
///     });
///     Json("subscribed")
/// }
/// # let _ = Router::new().post("/subscribe", subscribe);
/// ```
#[derive(Debug, Clone)]
pub struct BackgroundTasks {
    scope: RequestScope,
    request_id: RequestId,
}

/// What a background task may return: `()`, or a `Result` whose error is logged.
pub trait TaskOutcome {
    /// The failure to log, if any.
    fn failure(self) -> Option<String>;
}

impl TaskOutcome for () {
    fn failure(self) -> Option<String> {
        None
    }
}

impl<E: Display> TaskOutcome for Result<(), E> {
    fn failure(self) -> Option<String> {
        self.err().map(|e| e.to_string())
    }
}

impl BackgroundTasks {
    /// Runs `task` after the response was sent.
    pub fn add<F>(&self, task: F)
    where
        F: Future + 'static,
        F::Output: TaskOutcome,
    {
        let span = tracing::info_span!("background_task", request_id = %self.request_id);
        self.scope.defer(
            async move {
                match AssertUnwindSafe(task).catch_unwind().await {
                    Ok(outcome) => {
                        if let Some(error) = outcome.failure() {
                            tracing::error!(%error, "background task failed");
                        }
                    }
                    // The panic hook has logged the message and backtrace.
                    Err(_) => tracing::error!("background task panicked"),
                }
            }
            .instrument(span),
        );
    }
}

impl Provide for BackgroundTasks {
    type Needs = (RequestScope, RequestId);

    async fn provide((scope, request_id): Self::Needs) -> Result<Self, actix_web::Error> {
        Ok(Self { scope, request_id })
    }
}
crate::injectable!(BackgroundTasks);
