//! [`RequestScope`]: cleanup that runs when the handler is done (FastAPI's `yield`).

use std::{
    cell::RefCell,
    future::{Future, Ready, ready},
    pin::Pin,
    rc::Rc,
    task::{Context, Poll},
};

use actix_web::{
    FromRequest, HttpMessage, HttpRequest,
    body::{BodySize, MessageBody},
    dev::Payload,
    web::Bytes,
};
use apistos::{ApiComponent, ApistosSchema, OpenApiVersion, reference_or::ReferenceOr};

type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;
type Finisher = Box<dyn FnOnce(Outcome) -> LocalFuture<Result<(), actix_web::Error>>>;

/// How the request went, for [`RequestScope::on_finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The handler answered with a status below 400.
    Success,
    /// The handler failed (an error status, or a panic).
    Failure,
}

/// The current request's cleanup list; take it as a need of a provider.
///
/// - [`on_finish`](Self::on_finish) runs after the handler, before the response
///   leaves, and learns whether the request succeeded: commit or roll back there. If
///   it fails, the client gets that error instead of the handler's answer. After a
///   panic it runs with [`Outcome::Failure`].
/// - [`defer`](Self::defer) runs after the response was sent, after the last byte of
///   a streamed body: close what the body still needed.
///
/// ```
/// use apiarist::{Outcome, Provide, RequestScope};
///
/// #[derive(Debug, Clone)]
/// struct Audit;
///
/// impl Provide for Audit {
///     type Needs = (RequestScope,);
///     async fn provide((scope,): Self::Needs) -> Result<Self, actix_web::Error> {
///         scope.on_finish(|outcome| async move {
///             tracing::info!(?outcome, "request done");
///             Ok(())
///         });
///         scope.defer(async { tracing::info!("response sent") });
///         Ok(Audit)
///     }
/// }
/// ```
#[derive(Clone, Default)]
pub struct RequestScope(Rc<ScopeInner>);

#[derive(Default)]
struct ScopeInner {
    finishers: RefCell<Vec<Finisher>>,
    deferred: RefCell<Vec<LocalFuture<()>>>,
}

impl std::fmt::Debug for RequestScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestScope")
            .field("finishers", &self.0.finishers.borrow().len())
            .field("deferred", &self.0.deferred.borrow().len())
            .finish()
    }
}

impl RequestScope {
    /// Runs `finish` when the handler is done, before the response is sent.
    pub fn on_finish<F, Fut>(&self, finish: F)
    where
        F: FnOnce(Outcome) -> Fut + 'static,
        Fut: Future<Output = Result<(), actix_web::Error>> + 'static,
    {
        self.0
            .finishers
            .borrow_mut()
            .push(Box::new(move |outcome| Box::pin(finish(outcome))));
    }

    /// Runs `task` after the response (and its body) was sent.
    pub fn defer(&self, task: impl Future<Output = ()> + 'static) {
        self.0.deferred.borrow_mut().push(Box::pin(task));
    }

    /// The request's scope, created on first use.
    pub(crate) fn of(req: &HttpRequest) -> Self {
        if let Some(scope) = req.extensions().get::<RequestScope>() {
            return scope.clone();
        }
        let scope = RequestScope::default();
        req.extensions_mut().insert(scope.clone());
        scope
    }
}

impl Drop for ScopeInner {
    fn drop(&mut self) {
        // Reached with work left only when the request was abandoned (a panic, or the
        // client went away): finish as a failure, then run what was deferred.
        let finishers = std::mem::take(self.finishers.get_mut());
        let deferred = std::mem::take(self.deferred.get_mut());
        if finishers.is_empty() && deferred.is_empty() {
            return;
        }
        actix_web::rt::spawn(async move {
            for finish in finishers.into_iter().rev() {
                if let Err(error) = finish(Outcome::Failure).await {
                    tracing::error!(%error, "cleanup of an abandoned request failed");
                }
            }
            for task in deferred {
                task.await;
            }
        });
    }
}

/// Runs the request's finishers (latest first, like nested `yield`s) and hands back
/// what to run after the response. Called by the framework's middleware.
pub(crate) async fn finish_scope(
    req: &HttpRequest,
    outcome: Outcome,
) -> (Result<(), actix_web::Error>, Vec<LocalFuture<()>>) {
    // Cached dependency values go first, so a finisher holding the last handle to
    // something (a transaction) can take it.
    req.extensions_mut().remove::<super::DepCache>();
    let Some(scope) = req.extensions_mut().remove::<RequestScope>() else {
        return (Ok(()), Vec::new());
    };
    let finishers = std::mem::take(&mut *scope.0.finishers.borrow_mut());
    let mut result = Ok(());
    for finish in finishers.into_iter().rev() {
        let outcome = if result.is_ok() {
            outcome
        } else {
            Outcome::Failure
        };
        if let Err(error) = finish(outcome).await
            && result.is_ok()
        {
            result = Err(error);
        }
    }
    let deferred = std::mem::take(&mut *scope.0.deferred.borrow_mut());
    (result, deferred)
}

impl FromRequest for RequestScope {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(RequestScope::of(req)))
    }
}

impl ApiComponent for RequestScope {
    fn child_schemas(_: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
        Vec::new()
    }
    fn schema(_: OpenApiVersion) -> Option<(String, ReferenceOr<ApistosSchema>)> {
        None
    }
}

/// A response body that runs deferred tasks once it is done (or dropped early).
pub(crate) struct DeferredBody<B> {
    body: B,
    tasks: Vec<LocalFuture<()>>,
}

impl<B> DeferredBody<B> {
    pub(crate) fn new(body: B, tasks: Vec<LocalFuture<()>>) -> Self {
        Self { body, tasks }
    }
}

impl<B> Drop for DeferredBody<B> {
    fn drop(&mut self) {
        let tasks = std::mem::take(&mut self.tasks);
        if !tasks.is_empty() {
            actix_web::rt::spawn(async move {
                for task in tasks {
                    task.await;
                }
            });
        }
    }
}

impl<B: MessageBody + Unpin> MessageBody for DeferredBody<B> {
    type Error = B::Error;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}
