//! The stock port: how orders reserve and release units of an item.
//!
//! The items service owns the stock. Orders only needs two operations, so it takes
//! them as a port: [`StockPort::http`] calls the items service with its typed
//! client (what [`build`](crate::build) uses, in a process of its own or in an
//! all-in-one process alike); [`StockPort::new`] takes any two functions.
//!
//! Over HTTP a reservation is named by a fresh id, so the items service applies it
//! at most once. When a reservation call ends without a clear answer (a timeout, a
//! broken response), it may still have happened: the port then releases that id at
//! once, in the background, which gives the units back if it did and makes sure a
//! late arrival of the call takes nothing if it did not. The caller gets the 504 or
//! 502 right away.

use std::{future::Future, pin::Pin, sync::Arc};

use apiarist::{HttpError, client::CallContext};
use shared_models::clients::{ItemsClient, ReserveRefused};
use uuid::Uuid;

/// Why a reservation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockError {
    /// No such item.
    NotFound,
    /// Fewer units than requested.
    Insufficient {
        /// Units in stock.
        available: i64,
    },
}

/// Units taken by [`StockPort::reserve`]: what [`StockPort::release`] gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// The reservation's id (the items service knows it by this).
    pub id: Uuid,
    /// The item.
    pub item_id: i64,
    /// Units taken.
    pub quantity: i64,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;
type Reserve = dyn Fn(&CallContext, &Reservation) -> BoxFuture<Result<Result<(), StockError>, HttpError>>
    + Send
    + Sync;
type Release = dyn Fn(&CallContext, &Reservation) -> BoxFuture<Result<(), HttpError>> + Send + Sync;

/// Reserve and release stock of items; app state of the orders routes.
///
/// ```
/// use apiarist::client::CallContext;
/// use orders::{StockError, StockPort};
///
/// // A port on anything: here, one that has 3 units of every item.
/// let port = StockPort::new(
///     |_item, quantity| async move {
///         Ok(if quantity <= 3 { Ok(()) } else { Err(StockError::Insufficient { available: 3 }) })
///     },
///     |_item, _quantity| async { Ok(()) },
/// );
/// # actix_web::rt::System::new().block_on(async move {
/// let ctx = CallContext::default();
/// let taken = port.reserve(&ctx, 7, 2).await.unwrap().unwrap();
/// assert_eq!((taken.item_id, taken.quantity), (7, 2));
/// assert_eq!(port.reserve(&ctx, 7, 4).await.unwrap(), Err(StockError::Insufficient { available: 3 }));
/// port.release(&ctx, &taken).await.unwrap();
/// # });
/// ```
#[derive(Clone)]
pub struct StockPort {
    reserve: Arc<Reserve>,
    release: Arc<Release>,
}

impl std::fmt::Debug for StockPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StockPort").finish_non_exhaustive()
    }
}

impl StockPort {
    /// A port from two functions: `reserve(item_id, quantity)` (atomic: all or
    /// nothing) and `release(item_id, quantity)` (its compensation).
    pub fn new<R, RF, L, LF>(reserve: R, release: L) -> Self
    where
        R: Fn(i64, i64) -> RF + Send + Sync + 'static,
        RF: Future<Output = Result<Result<(), StockError>, HttpError>> + 'static,
        L: Fn(i64, i64) -> LF + Send + Sync + 'static,
        LF: Future<Output = Result<(), HttpError>> + 'static,
    {
        Self {
            reserve: Arc::new(move |_, r| Box::pin(reserve(r.item_id, r.quantity))),
            release: Arc::new(move |_, r| Box::pin(release(r.item_id, r.quantity))),
        }
    }

    /// A port on the items service's internal routes, through `items` (which must
    /// carry a service token). Its failures answer as the client's do: 502 when the
    /// items service is down, 504 when it is slow, naming it.
    pub fn http(items: ItemsClient) -> Self {
        let releaser = items.clone();
        Self {
            reserve: Arc::new(move |ctx, r| {
                let (items, r) = (items.in_context(ctx), r.clone());
                Box::pin(async move { reserve_over_http(items, r).await })
            }),
            release: Arc::new(move |ctx, r| {
                let (items, id) = (releaser.in_context(ctx), r.id);
                Box::pin(async move { Ok(items.release(id).await?) })
            }),
        }
    }

    /// Takes `quantity` units of `item_id`, all or nothing: the reservation, or why
    /// it was refused.
    pub async fn reserve(
        &self,
        ctx: &CallContext,
        item_id: i64,
        quantity: i64,
    ) -> Result<Result<Reservation, StockError>, HttpError> {
        let reservation = Reservation {
            id: Uuid::new_v4(),
            item_id,
            quantity,
        };
        Ok((self.reserve)(ctx, &reservation)
            .await?
            .map(|()| reservation))
    }

    /// Gives a reservation's units back.
    pub async fn release(
        &self,
        ctx: &CallContext,
        reservation: &Reservation,
    ) -> Result<(), HttpError> {
        (self.release)(ctx, reservation).await
    }
}

async fn reserve_over_http(
    items: ItemsClient,
    r: Reservation,
) -> Result<Result<(), StockError>, HttpError> {
    match items.reserve(r.id, r.item_id, r.quantity).await {
        Ok(Ok(_)) => Ok(Ok(())),
        Ok(Err(ReserveRefused::NotFound)) => Ok(Err(StockError::NotFound)),
        Ok(Err(ReserveRefused::Insufficient { available })) => {
            Ok(Err(StockError::Insufficient { available }))
        }
        // A fresh id was never released: the items service does not keep its contract.
        Ok(Err(ReserveRefused::Released)) => Err(HttpError::new(
            502,
            format!("{} service refused the reservation", ItemsClient::SERVICE),
        )),
        Err(error) => {
            if error.outcome_unknown() {
                actix_web::rt::spawn(compensate(items, r));
            }
            Err(error.into())
        }
    }
}

/// Releases a reservation whose call ended without an answer: it may have been made.
async fn compensate(items: ItemsClient, r: Reservation) {
    match items.release(r.id).await {
        Ok(()) => tracing::info!(
            reservation = %r.id, item_id = r.item_id, quantity = r.quantity,
            "released a reservation whose outcome was unknown"
        ),
        Err(error) => tracing::error!(
            reservation = %r.id, item_id = r.item_id, quantity = r.quantity, %error,
            "could not release a reservation whose outcome was unknown; its units may stay reserved"
        ),
    }
}
