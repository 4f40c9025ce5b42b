//! What every users test needs: an app on a fresh database, accounts, tokens.
#![allow(dead_code)] // each test binary uses its own subset

use apiarist::{
    auth::{
        AdminCredentials, Auth, KeyRing, LoginThrottle, SigningKey, ThrottleConfig, TokenConfig,
    },
    db::{Database, testing::TestDatabase},
    testing::{TestClient, TestResponse},
};
use serde_json::{Value, json};
use users::{ItemCounter, Migrator};

/// The HS256 secret of the tests' key ring.
pub const SECRET: &[u8] = b"the users tests' secret, 32+ bytes long";

/// Failures before the tests' throttle locks a (username, client) pair out.
pub const MAX_FAILURES: u32 = 3;

/// A password that passes validation.
pub const PASSWORD: &str = "correct horse battery";

/// An app on one test database, and the handles behind it.
pub struct Service {
    pub client: TestClient,
    pub db: Database,
    pub auth: Auth,
}

/// An auth service with the tests' key and a throttle of [`MAX_FAILURES`].
pub fn auth() -> Auth {
    let ring = KeyRing::new(SigningKey::hs256(SECRET).unwrap(), TokenConfig::default());
    let throttle = LoginThrottle::new(ThrottleConfig {
        max_failures: MAX_FAILURES,
        ..ThrottleConfig::default()
    });
    Auth::start(ring, throttle)
}

/// A counter that always says 7.
pub fn seven_items() -> ItemCounter {
    ItemCounter::new(|| async { Ok(7) })
}

/// `users::app` on `tdb`, migrated, counting items with `items`.
pub async fn service_with(tdb: &TestDatabase, items: ItemCounter) -> Service {
    let db = tdb.connect::<Migrator>().await;
    let auth = auth();
    let client = TestClient::new(users::app(db.clone(), auth.clone(), items)).await;
    Service { client, db, auth }
}

/// [`service_with`] and [`seven_items`].
pub async fn service(tdb: &TestDatabase) -> Service {
    service_with(tdb, seven_items()).await
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

impl Service {
    /// `POST /users/` with `{username, email: <username>@example.com, password}`.
    pub async fn register(&self, username: &str, password: &str) -> TestResponse {
        let body = json!({
            "username": username,
            "email": format!("{username}@example.com"),
            "password": password,
        });
        self.client.post("/users/").json(&body).send().await
    }

    /// Registers `username` with [`PASSWORD`]; its id.
    pub async fn user(&self, username: &str) -> i64 {
        let res = self.register(username, PASSWORD).await;
        assert_eq!(res.status(), 201, "{}", res.text());
        res.json::<Value>()["id"].as_i64().unwrap()
    }

    /// Creates (or promotes) the administrator `username` with [`PASSWORD`].
    pub async fn admin(&self, username: &str) -> i64 {
        let credentials = AdminCredentials {
            username: username.to_owned(),
            password: PASSWORD.to_owned(),
        };
        let row = users::ensure_admin(&self.db, Some(&credentials))
            .await
            .unwrap();
        i64::from(row.unwrap().id)
    }

    /// `POST /token` with the password form.
    pub async fn login(&self, username: &str, password: &str) -> TestResponse {
        self.client
            .post("/token")
            .form(&[("username", username), ("password", password)])
            .send()
            .await
    }

    /// A token for `username` with [`PASSWORD`].
    pub async fn token(&self, username: &str) -> String {
        let res = self.login(username, PASSWORD).await;
        assert_eq!(res.status(), 200, "{}", res.text());
        res.json::<Value>()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// `GET uri` with `token`.
    pub async fn get_as(&self, uri: &str, token: &str) -> TestResponse {
        self.client
            .get(uri)
            .header("authorization", &bearer(token))
            .send()
            .await
    }
}
