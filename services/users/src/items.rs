//! [`ItemCounter`]: how this service learns the number of items without depending
//! on the items service's code or tables.
//!
//! The users crate only declares what it needs (a way to count items); whoever
//! starts the service supplies it as app state: [`ItemCounter::http`] over the items
//! service's typed client (what [`build`](crate::build) does), any function (tests),
//! or [`ItemCounter::unavailable`] for the users service without any items service.

use std::{fmt, future::Future, pin::Pin, sync::Arc};

use apiarist::{HttpError, client::CallContext};
use shared_models::clients::ItemsClient;

/// The future an [`ItemCounter`] returns.
pub type CountFuture = Pin<Box<dyn Future<Output = Result<u64, HttpError>>>>;

type CountFn = dyn Fn(&CallContext) -> CountFuture + Send + Sync;

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
    /// A counter that runs `count` for every request (its errors answer as they are).
    pub fn new<F, Fut>(count: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<u64, HttpError>> + 'static,
    {
        Self(Arc::new(move |_| Box::pin(count())))
    }

    /// A counter asking the items service (`GET /internal/items/count`) through
    /// `items`, with the request id of the request it counts for. When the items
    /// service is down the count is a 502, when it is slow a 504, both naming it.
    pub fn http(items: ItemsClient) -> Self {
        Self(Arc::new(move |ctx| {
            let items = items.in_context(ctx);
            Box::pin(async move { Ok(items.count().await?) })
        }))
    }

    /// A counter for a users service running without the items service: every count
    /// is `503 {"detail": "Items service unavailable"}`.
    pub fn unavailable() -> Self {
        Self::new(|| async { Err(HttpError::new(503, "Items service unavailable")) })
    }

    /// Counts the items, outside any request.
    pub fn count(&self) -> CountFuture {
        self.count_in(&CallContext::default())
    }

    /// Counts the items for the request `ctx` describes.
    pub fn count_in(&self, ctx: &CallContext) -> CountFuture {
        (self.0)(ctx)
    }
}
