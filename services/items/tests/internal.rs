//! The routes only other services may call (`/internal`): refused without a service
//! token, and reservations that take stock once per id, never more than there is,
//! and give it back once.

mod common;

use apiarist::{db::testing::TestDatabase, testing::TestClient};
use common::{bearer, service_bearer};
use serde_json::{Value, json};

struct Env {
    client: TestClient,
    service: String,
    _db: TestDatabase,
}

async fn env() -> Env {
    let tdb = TestDatabase::postgres_from_env().unwrap_or_else(TestDatabase::sqlite);
    let db = tdb.connect::<items::Migrator>().await;
    Env {
        client: TestClient::new(common::app(db)).await,
        service: service_bearer("orders").await,
        _db: tdb,
    }
}

impl Env {
    async fn item(&self, stock: i64) -> i64 {
        let body = json!({"name": "Widget", "price": 2.0, "stock": stock});
        let res = self.client.post("/items/").json(&body).send().await;
        assert_eq!(res.status(), 201, "{}", res.text());
        res.json::<Value>()["id"].as_i64().unwrap()
    }

    async fn stock(&self, item: i64) -> i64 {
        let res = self.client.get(&format!("/items/{item}")).send().await;
        res.json::<Value>()["stock"].as_i64().unwrap()
    }

    async fn reserve(&self, id: &str, item: i64, quantity: i64) -> (u16, Value) {
        let res = self
            .client
            .put(&format!("/internal/reservations/{id}"))
            .header("authorization", &self.service)
            .json(&json!({"item_id": item, "quantity": quantity}))
            .send()
            .await;
        (res.status(), res.json())
    }

    async fn release(&self, id: &str) -> u16 {
        let res = self
            .client
            .delete(&format!("/internal/reservations/{id}"))
            .header("authorization", &self.service)
            .send()
            .await;
        assert_eq!(res.text(), "", "a 204 has no body");
        res.status()
    }
}

const R1: &str = "0b9e4f36-3f7a-4a8e-9a53-6f0f3c1d2a01";
const R2: &str = "0b9e4f36-3f7a-4a8e-9a53-6f0f3c1d2a02";
const R3: &str = "0b9e4f36-3f7a-4a8e-9a53-6f0f3c1d2a03";

#[actix_web::test]
async fn internal_routes_refuse_callers_without_a_service_token() {
    let env = env().await;
    let routes = [
        ("GET", "/internal/items/count".to_owned()),
        ("PUT", format!("/internal/reservations/{R1}")),
        ("DELETE", format!("/internal/reservations/{R1}")),
    ];
    let forged = {
        let other = apiarist::auth::KeyRing::new(
            apiarist::auth::SigningKey::hs256(b"another stack's secret, long enough").unwrap(),
            apiarist::auth::TokenConfig::default(),
        );
        let claims = apiarist::auth::Claims::new(
            "service:orders",
            Vec::<String>::new(),
            apiarist::auth::unix_now(),
            std::time::Duration::from_secs(60),
        )
        .with_roles(["service"]);
        format!("Bearer {}", other.sign(&claims).unwrap())
    };
    for (method, path) in &routes {
        let send = |authorization: Option<String>| {
            let client = &env.client;
            let method = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
            async move {
                let mut req = client
                    .request(method, path)
                    .json(&json!({"item_id": 1, "quantity": 1}));
                if let Some(value) = &authorization {
                    req = req.header("authorization", value);
                }
                let res = req.send().await;
                (res.status(), res.json::<Value>())
            }
        };
        assert_eq!(
            send(None).await,
            (401, json!({"detail": "Not authenticated"})),
            "{method} {path}"
        );
        let (status, body) = send(Some(forged.clone())).await;
        assert_eq!(
            status, 401,
            "{method} {path}: a token of another stack's key"
        );
        assert!(body["detail"].is_string());
        for roles in [&[][..], &["admin"][..]] {
            assert_eq!(
                send(Some(bearer("7", roles))).await,
                (403, json!({"detail": "Not enough permissions"})),
                "{method} {path} as a user with roles {roles:?}"
            );
        }
    }
}

#[actix_web::test]
async fn a_service_token_counts_the_items() {
    let env = env().await;
    env.item(1).await;
    env.item(0).await;
    let res = env
        .client
        .get("/internal/items/count")
        .header("authorization", &env.service)
        .send()
        .await;
    assert_eq!(
        (res.status(), res.json::<Value>()),
        (200, json!({"count": 2}))
    );
}

#[actix_web::test]
async fn a_reservation_takes_stock_once_per_id_and_never_more_than_there_is() {
    let env = env().await;
    let item = env.item(5).await;
    let made = json!({"reservation_id": R1, "item_id": item, "quantity": 2, "state": "reserved"});
    assert_eq!(env.reserve(R1, item, 2).await, (200, made.clone()));
    assert_eq!(env.stock(item).await, 3);
    assert_eq!(env.reserve(R1, item, 2).await, (200, made), "a repeat");
    assert_eq!(env.stock(item).await, 3, "a repeat takes nothing more");

    assert_eq!(
        env.reserve(R2, item, 4).await,
        (
            409,
            json!({"detail": format!("Item {item}: requested 4, only 3 available"), "available": 3})
        )
    );
    assert_eq!(
        env.reserve(R3, 9999, 1).await,
        (404, json!({"detail": "Item with id 9999 not found"}))
    );
    let (status, body) = env.reserve(R1, item, 1).await;
    assert_eq!((status, &body["available"]), (409, &Value::Null), "{body}");
    assert_eq!(env.stock(item).await, 3, "refusals take nothing");

    // A refused reservation left no trace: its id works once there is stock.
    assert_eq!(env.release(R1).await, 204);
    let (status, body) = env.reserve(R2, item, 4).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("reserved")));
    assert_eq!(env.stock(item).await, 1);

    let (status, body) = env.reserve("not-a-uuid", item, 1).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = env.reserve(R3, item, 0).await;
    assert_eq!(status, 422, "{body}");
}

#[actix_web::test]
async fn a_release_gives_units_back_once_and_closes_its_id() {
    let env = env().await;
    let item = env.item(5).await;
    assert_eq!(env.reserve(R1, item, 2).await.0, 200);
    assert_eq!(env.release(R1).await, 204);
    assert_eq!(env.stock(item).await, 5);
    assert_eq!(env.release(R1).await, 204, "a repeat");
    assert_eq!(env.stock(item).await, 5, "a repeat gives nothing more");
    let (status, body) = env.reserve(R1, item, 2).await;
    assert_eq!(
        (status, body),
        (
            409,
            json!({"detail": format!("Reservation {R1} was released or made for other units"), "available": null})
        )
    );

    // A release that overtook its reservation (the caller timed out) closes the id:
    // the late reservation takes nothing.
    assert_eq!(env.release(R2).await, 204);
    assert_eq!(env.reserve(R2, item, 1).await.0, 409);
    assert_eq!(env.stock(item).await, 5);
}

#[actix_web::test]
async fn fifty_concurrent_reservations_of_one_on_stock_five_take_exactly_five() {
    let env = env().await;
    let item = env.item(5).await;
    let ids: Vec<String> = (0..50)
        .map(|i| format!("0b9e4f36-3f7a-4a8e-9a53-{i:012}"))
        .collect();
    let attempts = ids.iter().map(|id| env.reserve(id, item, 1));
    let results = futures_util::future::join_all(attempts).await;
    let statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    let taken = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((taken, refused), (5, 45), "{statuses:?}");
    assert_eq!(env.stock(item).await, 0);

    // One release sent many times at once gives back once.
    let again = (0..10).map(|_| env.release(&ids[0]));
    futures_util::future::join_all(again).await;
    assert_eq!(env.stock(item).await, i64::from(statuses[0] == 200));

    // One reservation sent many times at once takes once.
    let other = env.item(5).await;
    let again = (0..10).map(|_| env.reserve(R3, other, 2));
    let statuses: Vec<u16> = futures_util::future::join_all(again)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(statuses, [200; 10]);
    assert_eq!(env.stock(other).await, 3);
}
