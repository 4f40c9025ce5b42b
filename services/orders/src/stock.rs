//! The stock port: how orders reserve and release units of an item.
//!
//! The items service owns the stock. Orders only needs two operations, so it takes
//! them as a port the composition supplies: in one process, the items service's own
//! queries (an atomic conditional decrement); across processes, its typed client.

use std::{future::Future, pin::Pin, sync::Arc};

use apiarist::HttpError;

/// Why a reservation failed.
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

type Reserve = dyn Fn(i64, i64) -> Pin<Box<dyn Future<Output = Result<Result<(), StockError>, HttpError>>>>
    + Send
    + Sync;
type Release =
    dyn Fn(i64, i64) -> Pin<Box<dyn Future<Output = Result<(), HttpError>>>> + Send + Sync;

/// Reserve and release stock of items.
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
            reserve: Arc::new(move |id, q| Box::pin(reserve(id, q))),
            release: Arc::new(move |id, q| Box::pin(release(id, q))),
        }
    }

    /// Takes `quantity` units of `item_id`, all or nothing.
    pub async fn reserve(
        &self,
        item_id: i64,
        quantity: i64,
    ) -> Result<Result<(), StockError>, HttpError> {
        (self.reserve)(item_id, quantity).await
    }

    /// Gives `quantity` units of `item_id` back.
    pub async fn release(&self, item_id: i64, quantity: i64) -> Result<(), HttpError> {
        (self.release)(item_id, quantity).await
    }
}
