//! What the items tests share: the app with the tests' key, and tokens signed by it.
#![allow(dead_code)] // each test binary uses its own subset

use std::time::Duration;

use apiarist::{
    App,
    auth::{
        Auth, Claims, KeyRing, LoginThrottle, SigningKey, ThrottleConfig, TokenConfig, unix_now,
    },
    client::ServiceToken,
    db::Database,
};

/// The HS256 secret the stack of these tests shares.
pub const SECRET: &[u8] = b"the items tests' secret, long enough";

fn ring() -> KeyRing {
    KeyRing::new(SigningKey::hs256(SECRET).unwrap(), TokenConfig::default())
}

/// An auth service with the tests' key.
pub fn auth() -> Auth {
    Auth::start(ring(), LoginThrottle::new(ThrottleConfig::default()))
}

/// `items::app` on `db` with the tests' key; images would go to a directory of this
/// test process's own (created only if a test uploads one).
pub fn app(db: Database) -> App {
    let media_dir = std::env::temp_dir().join(format!("items-tests-{}", std::process::id()));
    app_with_media(db, media_dir)
}

/// `items::app` on `db` with the tests' key and its images in `media_dir`.
pub fn app_with_media(db: Database, media_dir: std::path::PathBuf) -> App {
    let files = items::Files {
        media_dir,
        ..items::Files::default()
    };
    items::app_with(db, auth(), files)
}

/// `Bearer <token>` for `sub` with `roles`, signed with the tests' key.
pub fn bearer(sub: &str, roles: &[&str]) -> String {
    let claims = Claims::new(
        sub,
        Vec::<String>::new(),
        unix_now(),
        Duration::from_secs(600),
    )
    .with_roles(roles.iter().copied());
    format!("Bearer {}", ring().sign(&claims).unwrap())
}

/// `Bearer <token>` of the service `name`, as another service sends it.
pub async fn service_bearer(name: &str) -> String {
    let token = ServiceToken::new(name, auth()).token().await.unwrap();
    format!("Bearer {token}")
}
