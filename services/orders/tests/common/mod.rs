//! What the orders tests share: the stack's key, tokens, databases and clients.
#![allow(dead_code)] // each test binary uses its own subset

use std::time::Duration;

use apiarist::{
    auth::{
        Auth, Claims, KeyRing, LoginThrottle, SigningKey, ThrottleConfig, TokenConfig, unix_now,
    },
    client::ServiceToken,
    db::testing::TestDatabase,
};
use orders::StockPort;
use shared_models::clients::ItemsClient;

/// The HS256 secret every service of these tests shares.
pub const SECRET: &[u8] = b"the orders tests' secret, long enough";

fn ring() -> KeyRing {
    KeyRing::new(SigningKey::hs256(SECRET).unwrap(), TokenConfig::default())
}

/// An auth service with the stack's key.
pub fn auth() -> Auth {
    Auth::start(ring(), LoginThrottle::new(ThrottleConfig::default()))
}

/// `Bearer <token>` of user `sub` with `roles`.
pub fn token(sub: &str, roles: &[&str]) -> String {
    let claims = Claims::new(
        sub,
        Vec::<String>::new(),
        unix_now(),
        Duration::from_secs(600),
    )
    .with_roles(roles.iter().copied());
    format!("Bearer {}", ring().sign(&claims).unwrap())
}

/// A fresh database: PostgreSQL when `DATABASE_URL` is set, SQLite otherwise.
pub fn fresh() -> TestDatabase {
    TestDatabase::postgres_from_env().unwrap_or_else(TestDatabase::sqlite)
}

/// The items service's typed client at `url`, as the orders service has it.
pub fn items_client(url: &str, timeout: Duration) -> ItemsClient {
    ItemsClient::connect(url, timeout, ServiceToken::new("orders", auth()))
}

/// The HTTP stock port on the items service at `url`.
pub fn stock_port(url: &str) -> StockPort {
    StockPort::http(items_client(url, Duration::from_secs(5)))
}
