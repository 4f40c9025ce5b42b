//! [`ItemCounter`]: how this service learns the number of items without depending
//! on the items service.
//!
//! The users crate only declares what it needs (a way to count items); whoever
//! composes the services supplies it as app state: a query on the items database, an
//! HTTP call, or [`ItemCounter::unavailable`] for the users service on its own.

use std::{fmt, future::Future, pin::Pin, sync::Arc};

use apiarist::HttpError;

/// The future an [`ItemCounter`] returns.
pub type CountFuture = Pin<Box<dyn Future<Output = Result<u64, HttpError>>>>;

type CountFn = dyn Fn() -> CountFuture + Send + Sync;

/// Counts the items of the catalogue, for `GET /admin/stats`; taken as
/// `State<ItemCounter>`.
///
/// ```
/// use users::ItemCounter;
///
/// let counter = ItemCounter::new(|| async { Ok(42) });
/// # actix_web::rt::System::new().block_on(async move {
/// assert_eq!(counter.count().await.unwrap(), 42);
/// assert_eq!(ItemCounter::unavailable().count().await.unwrap_err().status().as_u16(), 503);
/// # });
/// ```
#[derive(Clone)]
pub struct ItemCounter(Arc<CountFn>);

impl fmt::Debug for ItemCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemCounter").finish_non_exhaustive()
    }
}

impl ItemCounter {
    /// A counter that runs `count` for every request (errors answer as they are,
    /// e.g. a 503 when the items database is down).
    pub fn new<F, Fut>(count: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<u64, HttpError>> + 'static,
    {
        Self(Arc::new(move || Box::pin(count())))
    }

    /// A counter for a users service running without the items service: every count
    /// is `503 {"detail": "Items service unavailable"}`.
    pub fn unavailable() -> Self {
        Self::new(|| async { Err(HttpError::new(503, "Items service unavailable")) })
    }

    /// Counts the items.
    pub fn count(&self) -> CountFuture {
        (self.0)()
    }
}
