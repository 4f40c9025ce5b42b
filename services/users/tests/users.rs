//! `/users` over HTTP, on SQLite and (with `DATABASE_URL`) PostgreSQL: registration,
//! reading accounts, and what never leaves. Changes and deletions: `accounts.rs`.

mod common;

use apiarist::db::testing::TestDatabase;
use common::{PASSWORD, bearer, service};
use serde_json::{Value, json};
use users::models::queries;

#[actix_web::test]
async fn register_answers_201_with_the_account_and_no_password() {
    for tdb in TestDatabase::all_from_env() {
        let svc = service(&tdb).await;
        let body = json!({"username": "alice", "email": "alice@example.com",
                          "full_name": "Alice Liddell", "password": PASSWORD});
        let res = svc.client.post("/users/").json(&body).send().await;
        assert_eq!(res.status(), 201, "{:?}: {}", tdb.backend(), res.text());
        let created: Value = res.json();
        let id = created["id"].as_i64().unwrap();
        assert!(id > 0);
        assert_eq!(
            created,
            json!({"id": id, "username": "alice", "email": "alice@example.com",
                   "full_name": "Alice Liddell", "is_active": true})
        );
        assert!(!res.text().contains("password"), "{}", res.text());

        // full_name is optional; the stored hash is Argon2id, not the password.
        let res = svc.register("bob", PASSWORD).await;
        assert_eq!(res.status(), 201);
        assert_eq!(res.json::<Value>()["full_name"], Value::Null);
        let conn = svc.db.conn().await.unwrap();
        let bob = queries::find_by_username(&conn, "bob")
            .await
            .unwrap()
            .unwrap();
        assert!(bob.hashed_password.starts_with("$argon2id$"));
        assert!(!bob.is_admin);
    }
}

#[actix_web::test]
async fn a_taken_username_is_409_and_nothing_is_written() {
    for tdb in TestDatabase::all_from_env() {
        let svc = service(&tdb).await;
        svc.user("alice").await;
        let res = svc.register("alice", "another password").await;
        assert_eq!(res.status(), 409, "{:?}", tdb.backend());
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": "Username already registered"})
        );
        let conn = svc.db.conn().await.unwrap();
        assert_eq!(queries::count(&conn).await.unwrap(), 1);
        // The original account is untouched: its password still logs in.
        assert_eq!(svc.login("alice", PASSWORD).await.status(), 200);
    }
}

#[actix_web::test]
async fn concurrent_registrations_of_one_username_create_one_account() {
    for tdb in TestDatabase::all_from_env() {
        let svc = service(&tdb).await;
        // All requests are in flight together; the unique index decides, not a
        // lookup each of them would pass.
        let tasks: Vec<_> = (0..4)
            .map(|i| {
                let client = svc.client.clone();
                let body = json!({"username": "racer", "email": "racer@example.com",
                                  "password": format!("password {i}")});
                actix_web::rt::spawn(async move { client.post("/users/").json(&body).send().await })
            })
            .collect();
        let mut statuses = Vec::new();
        for task in tasks {
            let res = task.await.unwrap();
            if res.status() == 409 {
                assert_eq!(
                    res.json::<Value>(),
                    json!({"detail": "Username already registered"})
                );
            }
            statuses.push(res.status());
        }
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 409, 409, 409], "{:?}", tdb.backend());
        let conn = svc.db.conn().await.unwrap();
        assert_eq!(queries::count(&conn).await.unwrap(), 1);
    }
}

#[actix_web::test]
async fn an_invalid_registration_is_the_framework_422_listing_every_problem() {
    let tdb = TestDatabase::sqlite();
    let svc = service(&tdb).await;
    let res = svc
        .client
        .post("/users/")
        .json(&json!({"username": "ab", "email": "nope", "password": "short"}))
        .send()
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [
            {"type": "string_too_short", "loc": ["body", "username"], "msg": "String should have at least 3 characters", "input": "ab", "ctx": {"min_length": 3}},
            {"type": "value_error", "loc": ["body", "email"], "msg": "value is not a valid email address: An email address must have an @-sign.", "input": "nope", "ctx": {"reason": "An email address must have an @-sign."}},
            {"type": "string_too_short", "loc": ["body", "password"], "msg": "String should have at least 8 characters", "input": "short", "ctx": {"min_length": 8}}
        ]})
    );
    let res = svc
        .client
        .post("/users/")
        .json(&json!({"username": "carol"}))
        .send()
        .await;
    assert_eq!(res.status(), 422);
    let missing: Vec<Value> = res.json::<Value>()["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| json!([e["type"], e["loc"]]))
        .collect();
    assert_eq!(
        missing,
        [
            json!(["missing", ["body", "email"]]),
            json!(["missing", ["body", "password"]])
        ]
    );
}

#[actix_web::test]
async fn me_is_the_account_of_the_token() {
    for tdb in TestDatabase::all_from_env() {
        let svc = service(&tdb).await;
        let id = svc.user("alice").await;
        let token = svc.token("alice").await;
        let res = svc.get_as("/users/me", &token).await;
        assert_eq!(res.status(), 200, "{:?}", tdb.backend());
        assert_eq!(
            res.json::<Value>(),
            json!({"id": id, "username": "alice", "email": "alice@example.com",
                   "full_name": null, "is_active": true})
        );
        assert!(!res.text().contains("password"));

        let res = svc.client.get("/users/me").send().await;
        assert_eq!(res.status(), 401);
        assert_eq!(res.header("www-authenticate"), Some("Bearer"));
        assert_eq!(res.json::<Value>(), json!({"detail": "Not authenticated"}));

        let res = svc.get_as("/users/me", "not.a.token").await;
        assert_eq!(res.status(), 401);
        assert_eq!(res.json::<Value>(), json!({"detail": "Invalid token"}));
    }
}

#[actix_web::test]
async fn a_token_of_a_deleted_or_disabled_account_is_401() {
    for tdb in TestDatabase::all_from_env() {
        let svc = service(&tdb).await;
        svc.admin("root").await;
        let root = svc.token("root").await;
        let alice = svc.user("alice").await;
        let bob = svc.user("bob").await;
        let alice_token = svc.token("alice").await;
        let bob_token = svc.token("bob").await;

        let res = svc
            .client
            .delete(&format!("/users/{alice}"))
            .header("authorization", &bearer(&root))
            .send()
            .await;
        assert_eq!(res.status(), 204);
        let res = svc.get_as("/users/me", &alice_token).await;
        assert_eq!(res.status(), 401, "{:?}", tdb.backend());
        assert_eq!(res.header("www-authenticate"), Some("Bearer"));
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": "Could not validate credentials"})
        );

        let res = svc
            .client
            .put(&format!("/users/{bob}"))
            .header("authorization", &bearer(&root))
            .json(&json!({"is_active": false}))
            .send()
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>()["is_active"], false);
        let res = svc.get_as("/users/me", &bob_token).await;
        assert_eq!(res.status(), 401);
        assert_eq!(res.json::<Value>(), json!({"detail": "Inactive user"}));
        // ... and the disabled account cannot log in again.
        let res = svc.login("bob", PASSWORD).await;
        assert_eq!(res.status(), 401);
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": "Incorrect username or password"})
        );
    }
}

#[actix_web::test]
async fn reading_an_account_by_id_is_200_404_or_422() {
    for tdb in TestDatabase::all_from_env() {
        let svc = service(&tdb).await;
        let alice = svc.user("alice").await;
        svc.user("bob").await;
        let bob_token = svc.token("bob").await;

        let res = svc.get_as(&format!("/users/{alice}"), &bob_token).await;
        assert_eq!(res.status(), 200, "{:?}", tdb.backend());
        assert_eq!(
            res.json::<Value>(),
            json!({"id": alice, "username": "alice", "email": "alice@example.com",
                   "full_name": null, "is_active": true})
        );

        for missing in ["99999", "3000000000"] {
            let res = svc.get_as(&format!("/users/{missing}"), &bob_token).await;
            assert_eq!(res.status(), 404, "{missing}");
            assert_eq!(res.json::<Value>(), json!({"detail": "User not found"}));
        }

        let res = svc.get_as("/users/0", &bob_token).await;
        assert_eq!(res.status(), 422);
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": [{"type": "greater_than", "loc": ["path", "user_id"],
                               "msg": "Input should be greater than 0", "input": "0", "ctx": {"gt": 0}}]})
        );
        let res = svc.get_as("/users/abc", &bob_token).await;
        assert_eq!(res.status(), 422);
        assert_eq!(res.json::<Value>()["detail"][0]["type"], "int_parsing");

        // Accounts are not public: no token, no e-mail addresses.
        let res = svc.client.get(&format!("/users/{alice}")).send().await;
        assert_eq!(res.status(), 401);
        assert_eq!(res.json::<Value>(), json!({"detail": "Not authenticated"}));
    }
}
