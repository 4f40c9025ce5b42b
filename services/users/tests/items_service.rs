//! The admin statistics counting items in a real items service over HTTP (on a
//! loopback socket, with the stack's shared key), and what they answer when that
//! service is down or slow; and the service as `build` starts it.

mod common;

use std::time::Duration;

use actix_web::{HttpResponse, web};
use apiarist::{
    auth::{AdminCredentials, AuthSettings, SigningKey, ThrottleConfig, TokenConfig},
    client::ServiceToken,
    db::testing::TestDatabase,
    testing::{TestClient, TestServer, unused_url},
};
use common::{SECRET, service_with};
use serde_json::{Value, json};
use shared_models::{clients::ItemsClient, items::ItemCreate};
use users::ItemCounter;

/// A counter over the items service at `url`, with a token signed by the stack's key.
fn counter(url: &str, timeout: Duration) -> ItemCounter {
    let token = ServiceToken::new("users", common::auth());
    ItemCounter::http(ItemsClient::connect(url, timeout, token))
}

async fn stats(counter: ItemCounter) -> (u16, Value) {
    let tdb = TestDatabase::sqlite();
    let svc = service_with(&tdb, counter).await;
    svc.admin("root").await;
    let root = svc.token("root").await;
    let res = svc.get_as("/admin/stats", &root).await;
    (res.status(), res.json())
}

#[actix_web::test]
async fn stats_count_the_items_of_the_items_service_over_http() {
    let items_tdb = TestDatabase::postgres_from_env().unwrap_or_else(TestDatabase::sqlite);
    let items_db = items_tdb.connect::<items::Migrator>().await;
    let conn = items_db.conn().await.unwrap();
    for name in ["a", "b", "c"] {
        let item = ItemCreate {
            name: name.into(),
            description: None,
            price: 1.0,
            tax: None,
            tags: vec![],
            stock: 1,
        };
        items::models::create(&conn, item).await.unwrap();
    }
    let items = TestServer::start(items::app(items_db, common::auth())).await;
    let url = items.url("");
    assert_eq!(
        stats(counter(&url, Duration::from_secs(5))).await,
        (200, json!({"users": 1, "items": 3}))
    );
}

#[actix_web::test]
async fn stats_are_502_naming_the_items_service_while_it_is_down() {
    assert_eq!(
        stats(counter(&unused_url(), Duration::from_secs(5))).await,
        (502, json!({"detail": "items service unavailable"}))
    );
}

#[actix_web::test]
async fn stats_are_504_naming_the_items_service_while_it_is_too_slow() {
    let slow = serve_slow_items();
    assert_eq!(
        stats(counter(&slow, Duration::from_millis(200))).await,
        (
            504,
            json!({"detail": "items service timed out after 200ms"})
        )
    );
}

/// An items service that takes 3 s to count.
fn serve_slow_items() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = actix_web::HttpServer::new(|| {
        actix_web::App::new().route(
            "/internal/items/count",
            web::get().to(|| async {
                actix_web::rt::time::sleep(Duration::from_secs(3)).await;
                HttpResponse::Ok().json(json!({"count": 1}))
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    format!("http://127.0.0.1:{port}")
}

#[actix_web::test]
async fn build_starts_the_service_from_its_config() {
    let tdb = TestDatabase::postgres_from_env().unwrap_or_else(TestDatabase::sqlite);
    let auth = AuthSettings {
        key: SigningKey::hs256(SECRET).unwrap(),
        tokens: TokenConfig::default(),
        throttle: ThrottleConfig::default(),
        admin: Some(AdminCredentials {
            username: "root".into(),
            password: common::PASSWORD.into(),
        }),
        ephemeral_secret: false,
    };
    let config = users::Config {
        database: tdb.settings(),
        auth,
        items_url: unused_url(),
        items_timeout: Duration::from_secs(1),
    };
    let client = TestClient::new(users::build(config).await.unwrap()).await;
    assert_eq!(client.get("/healthz").send().await.status(), 200);
    let res = client.get("/readyz").send().await;
    assert_eq!(res.status(), 200, "{}", res.text());
    let res = client
        .post("/token")
        .form(&[("username", "root"), ("password", common::PASSWORD)])
        .send()
        .await;
    assert_eq!(
        res.status(),
        200,
        "the administrator exists: {}",
        res.text()
    );
    let token = res.json::<Value>()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = client
        .get("/admin/stats")
        .header("authorization", &format!("Bearer {token}"))
        .send()
        .await;
    assert_eq!(
        (res.status(), res.json::<Value>()),
        (502, json!({"detail": "items service unavailable"}))
    );
}
