//! Typed clients of the services, for the other services: each method is one route,
//! with the request and response types of this crate, so a change to the contract
//! is a compile error on both sides instead of a failure at run time.

use std::time::Duration;

use apiarist::client::{CallContext, ClientError, ServiceClient, ServiceToken};
use uuid::Uuid;

use crate::items::{ItemCount, ItemResponse, Reservation, ReservationCreate, StockConflict};

/// Why the items service refused a reservation (its 404 and 409 answers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReserveRefused {
    /// No item with that id.
    NotFound,
    /// Fewer units in stock than requested.
    Insufficient {
        /// Units in stock.
        available: i64,
    },
    /// The reservation id was released already: this reservation will never be made.
    Released,
}

/// The items service, as the users and orders services call it.
///
/// Its internal routes (`/internal/...`) require a service token: build it on a
/// [`ServiceClient`] that has one
/// ([`with_service_token`](ServiceClient::with_service_token)).
///
/// ```
/// use apiarist::client::ServiceClient;
/// use shared_models::clients::ItemsClient;
///
/// let items = ItemsClient::new(ServiceClient::new(ItemsClient::SERVICE, "http://127.0.0.1:8002"));
/// assert_eq!(items.client().service(), "items");
/// ```
#[derive(Debug, Clone)]
pub struct ItemsClient {
    client: ServiceClient,
}

impl ItemsClient {
    /// The service's name, as its errors say it.
    pub const SERVICE: &'static str = "items";

    /// Where the items service listens by default (its `DEFAULT_PORT`, on loopback).
    pub const DEFAULT_URL: &'static str = "http://127.0.0.1:8002";

    /// A client calling the items service through `client`.
    pub fn new(client: ServiceClient) -> Self {
        Self { client }
    }

    /// A client of the items service at `base_url`, each call bounded by `timeout`
    /// and authenticated with the calling service's `token`.
    pub fn connect(base_url: &str, timeout: Duration, token: ServiceToken) -> Self {
        Self::new(
            ServiceClient::new(Self::SERVICE, base_url)
                .with_timeout(timeout)
                .with_service_token(token),
        )
    }

    /// The HTTP client underneath.
    pub fn client(&self) -> &ServiceClient {
        &self.client
    }

    /// A copy whose calls carry the request id of `ctx`.
    #[must_use]
    pub fn in_context(&self, ctx: &CallContext) -> Self {
        Self::new(self.client.in_context(ctx))
    }

    /// `GET /items/{item_id}`.
    pub async fn item(&self, item_id: i64) -> Result<ItemResponse, ClientError> {
        self.client.get(&format!("/items/{item_id}")).await
    }

    /// `GET /internal/items/count`: how many items there are.
    pub async fn count(&self) -> Result<u64, ClientError> {
        let count: ItemCount = self.client.get("/internal/items/count").await?;
        Ok(count.count)
    }

    /// `PUT /internal/reservations/{id}`: takes `quantity` units of `item_id` out of
    /// stock, all or nothing, once per `id` (a repeated call answers the same
    /// reservation). The items service's 404 and 409 come back as
    /// [`ReserveRefused`]; anything else that goes wrong is the [`ClientError`].
    pub async fn reserve(
        &self,
        id: Uuid,
        item_id: i64,
        quantity: i64,
    ) -> Result<Result<Reservation, ReserveRefused>, ClientError> {
        let body = ReservationCreate { item_id, quantity };
        let path = format!("/internal/reservations/{id}");
        match self.client.put(&path, &body).await {
            Ok(reservation) => Ok(Ok(reservation)),
            Err(error) => match error.upstream_status().map(|s| s.as_u16()) {
                Some(404) => Ok(Err(ReserveRefused::NotFound)),
                Some(409) => {
                    let conflict = error.body().and_then(|body| {
                        serde_json::from_value::<StockConflict>(body.clone()).ok()
                    });
                    match conflict.and_then(|c| c.available) {
                        Some(available) => Ok(Err(ReserveRefused::Insufficient { available })),
                        None => Ok(Err(ReserveRefused::Released)),
                    }
                }
                _ => Err(error),
            },
        }
    }

    /// `DELETE /internal/reservations/{id}`: gives a reservation's units back (the
    /// compensation of [`reserve`](Self::reserve)). Idempotent, and safe to call
    /// when it is unknown whether the reservation was made: an id released before
    /// it was reserved can no longer be reserved.
    pub async fn release(&self, id: Uuid) -> Result<(), ClientError> {
        self.client
            .delete(&format!("/internal/reservations/{id}"))
            .await
    }
}

/// Where the items service is, for the services that call it: `ITEMS_URL` (default
/// [`ItemsClient::DEFAULT_URL`]) and `ITEMS_TIMEOUT_MS` (default 5000), read from the
/// environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemsSettings {
    /// The base URL, `http://host:port` (the stack's calls are plain HTTP).
    pub url: String,
    /// The longest a call may take.
    pub timeout: Duration,
}

#[derive(serde::Deserialize)]
struct ItemsEnv {
    items_url: Option<String>,
    items_timeout_ms: Option<u64>,
}

impl ItemsSettings {
    /// Reads `ITEMS_URL` and `ITEMS_TIMEOUT_MS`; errors name the variable.
    ///
    /// ```
    /// # if std::env::var_os("ITEMS_URL").is_none() && std::env::var_os("ITEMS_TIMEOUT_MS").is_none() {
    /// let settings = shared_models::clients::ItemsSettings::from_env().unwrap();
    /// assert_eq!(settings.url, "http://127.0.0.1:8002");
    /// assert_eq!(settings.timeout, std::time::Duration::from_secs(5));
    /// # }
    /// ```
    pub fn from_env() -> Result<Self, String> {
        let env: ItemsEnv = apiarist::settings::from_env().map_err(|e| e.to_string())?;
        let url = env
            .items_url
            .map(|url| url.trim().to_owned())
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| ItemsClient::DEFAULT_URL.to_owned());
        if !url.starts_with("http://") {
            return Err(format!(
                "environment variable ITEMS_URL is invalid: {url:?} is not an http:// URL"
            ));
        }
        let timeout = match env.items_timeout_ms {
            Some(0) => {
                return Err(
                    "environment variable ITEMS_TIMEOUT_MS is invalid: must be at least 1"
                        .to_owned(),
                );
            }
            Some(ms) => Duration::from_millis(ms),
            None => apiarist::client::DEFAULT_TIMEOUT,
        };
        Ok(Self { url, timeout })
    }
}
