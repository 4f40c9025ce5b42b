//! The items service's storage, on every backend CI has (SQLite always, PostgreSQL
//! when `DATABASE_URL` is set): the contract holds on both, and data survives a
//! restart of the service.

mod common;

use apiarist::{db::testing::TestDatabase, testing::TestClient};
use serde_json::{Value, json};

#[actix_web::test]
async fn items_are_stored_listed_and_survive_a_restart() {
    for test_db in TestDatabase::all_from_env() {
        let backend = test_db.backend();
        {
            let db = test_db.connect::<items::Migrator>().await;
            let client = TestClient::new(common::app(db)).await;
            for (name, stock, tags) in [
                ("Blue 50% Widget", 3, json!(["blue"])),
                ("Red Gadget", 0, json!([])),
                ("blue_thing", 1, json!(["x", "y"])),
            ] {
                let res = client
                    .post("/items/")
                    .json(&json!({"name": name, "price": 2.5, "tax": 0.5, "stock": stock, "tags": tags}))
                    .send()
                    .await;
                assert_eq!(res.status(), 201, "{backend:?}: {}", res.text());
            }
            let names = |v: Value| -> Vec<String> {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["name"].as_str().unwrap().to_owned())
                    .collect()
            };
            let res = client.get("/items/?search=BLUE").send().await;
            assert_eq!(
                names(res.json()),
                ["Blue 50% Widget", "blue_thing"],
                "{backend:?}"
            );
            // LIKE wildcards in the search match themselves.
            let res = client.get("/items/?search=50%25").send().await;
            assert_eq!(names(res.json()), ["Blue 50% Widget"], "{backend:?}");
            let res = client.get("/items/?search=e_t").send().await;
            assert_eq!(names(res.json()), ["blue_thing"], "{backend:?}");
            let res = client.get("/items/?in_stock=false").send().await;
            assert_eq!(names(res.json()), ["Red Gadget"], "{backend:?}");
            let res = client.get("/items/?skip=1&limit=1").send().await;
            assert_eq!(names(res.json()), ["Red Gadget"], "{backend:?}");
        }
        // A new service process on the same database.
        let db = test_db.connect::<items::Migrator>().await;
        let client = TestClient::new(common::app(db)).await;
        let res = client.get("/items/3").send().await;
        assert_eq!(res.status(), 200, "{backend:?}");
        let item: Value = res.json();
        assert_eq!(item["name"], "blue_thing");
        assert_eq!(item["tags"], json!(["x", "y"]));
        assert_eq!(item["price_with_tax"], 3.0);
        assert!(item.get("internal_cost").is_none());
    }
}
