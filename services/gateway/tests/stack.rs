//! The composed demo stack in-process: users and items side by side, each on its own
//! database, one token for both, the admin statistics counting across services.

use apiarist::{
    auth::{
        AdminCredentials, Auth, KeyRing, LoginThrottle, SigningKey, ThrottleConfig, TokenConfig,
    },
    db::testing::TestDatabase,
    testing::TestClient,
};
use gateway::Databases;
use serde_json::{Value, json};

#[actix_web::test]
async fn users_and_items_work_side_by_side_and_admin_stats_count_both() {
    let items_db = TestDatabase::postgres_from_env().unwrap_or_else(TestDatabase::sqlite);
    let users_db = TestDatabase::sqlite();
    let orders_db = TestDatabase::sqlite();
    let dbs = Databases {
        items: items_db.connect::<items::Migrator>().await,
        users: users_db.connect::<users::Migrator>().await,
        orders: orders_db.connect::<orders::Migrator>().await,
    };
    let admin = AdminCredentials {
        username: "root".to_owned(),
        password: "root password".to_owned(),
    };
    users::ensure_admin(&dbs.users, Some(&admin)).await.unwrap();
    let ring = KeyRing::new(
        SigningKey::hs256(b"the stack test's secret, long enough").unwrap(),
        TokenConfig::default(),
    );
    let auth = Auth::start(ring, LoginThrottle::new(ThrottleConfig::default()));
    let background = orders::start_background(
        dbs.orders.clone(),
        std::sync::Arc::new(apiarist::jobs::MemoryBroker::new()),
    );
    let client = TestClient::new(gateway::app(dbs, auth, background.queue)).await;

    let res = client
        .post("/users/")
        .json(&json!({"username": "ada", "email": "ada@example.com", "password": "analytical"}))
        .send()
        .await;
    assert_eq!(res.status(), 201, "{}", res.text());
    let res = client
        .post("/items/")
        .json(&json!({"name": "Engine", "price": 100.0}))
        .send()
        .await;
    assert_eq!(res.status(), 201, "{}", res.text());

    let login = |username: &'static str, password: &'static str| {
        let client = &client;
        async move {
            let res = client
                .post("/token")
                .form(&[("username", username), ("password", password)])
                .send()
                .await;
            assert_eq!(res.status(), 200, "{}", res.text());
            res.json::<Value>()["access_token"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let ada = login("ada", "analytical").await;
    let res = client
        .get("/users/me")
        .header("authorization", &format!("Bearer {ada}"))
        .send()
        .await;
    assert_eq!(res.json::<Value>()["username"], "ada");
    let res = client
        .get("/admin/stats")
        .header("authorization", &format!("Bearer {ada}"))
        .send()
        .await;
    assert_eq!(res.status(), 403);

    let root = login("root", "root password").await;
    let res = client
        .get("/admin/stats")
        .header("authorization", &format!("Bearer {root}"))
        .send()
        .await;
    assert_eq!(
        (res.status(), res.json::<Value>()),
        (200, json!({"users": 2, "items": 1}))
    );

    let res = client
        .post("/orders/")
        .header("authorization", &format!("Bearer {ada}"))
        .json(&json!({"item_id": 1, "quantity": 9}))
        .send()
        .await;
    assert_eq!(
        (res.status(), res.json::<Value>()),
        (
            409,
            json!({"error": "insufficient_stock", "detail": "Item 1: requested 9, only 5 available"})
        )
    );
    let res = client
        .post("/orders/")
        .header("authorization", &format!("Bearer {ada}"))
        .json(&json!({"item_id": 1, "quantity": 2}))
        .send()
        .await;
    assert_eq!(res.status(), 201, "{}", res.text());
    let item: Value = client.get("/items/1").send().await.json();
    assert_eq!(item["stock"], 3);

    let res = client.get("/readyz").send().await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>()["checks"]["users"], "sqlite");

    let doc: Value = client.get("/openapi.json").send().await.json();
    for path in [
        "/items/",
        "/users/",
        "/token",
        "/admin/stats",
        "/hello",
        "/orders/",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
}
