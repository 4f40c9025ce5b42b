//! `/admin` and the bootstrap administrator: role checks on the router, the item
//! count from the injected `ItemCounter`, and `ensure_admin`.

mod common;

use apiarist::{
    HttpError,
    auth::AdminCredentials,
    db::{Database, testing::TestDatabase},
};
use common::{PASSWORD, bearer, service, service_with};
use serde_json::{Value, json};
use users::{BootstrapError, ItemCounter, ensure_admin, models::queries};

async fn count_users(db: &Database) -> u64 {
    queries::count(&db.conn().await.unwrap()).await.unwrap()
}

#[actix_web::test]
async fn stats_count_users_and_items_for_administrators() {
    for tdb in TestDatabase::all_from_env() {
        let svc = service(&tdb).await;
        svc.admin("root").await;
        svc.user("alice").await;
        svc.user("bob").await;
        let root = svc.token("root").await;
        let res = svc.get_as("/admin/stats", &root).await;
        assert_eq!(res.status(), 200, "{:?}: {}", tdb.backend(), res.text());
        assert_eq!(res.json::<Value>(), json!({"users": 3, "items": 7}));
    }
}

#[actix_web::test]
async fn stats_are_401_without_a_token_and_403_for_other_users() {
    for tdb in TestDatabase::all_from_env() {
        let svc = service(&tdb).await;
        svc.user("alice").await;
        let res = svc.client.get("/admin/stats").send().await;
        assert_eq!(res.status(), 401, "{:?}", tdb.backend());
        assert_eq!(res.header("www-authenticate"), Some("Bearer"));
        assert_eq!(res.json::<Value>(), json!({"detail": "Not authenticated"}));

        let alice = svc.token("alice").await;
        let res = svc.get_as("/admin/stats", &alice).await;
        assert_eq!(res.status(), 403);
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": "Not enough permissions"})
        );
    }
}

#[actix_web::test]
async fn an_admin_token_outliving_the_admin_opens_nothing() {
    for tdb in TestDatabase::all_from_env() {
        let svc = service(&tdb).await;
        svc.admin("root").await;
        let old_admin = svc.admin("former").await;
        let former = svc.token("former").await;
        let root = svc.token("root").await;

        // Demoted in the database: the token still says "admin", the account does not.
        let conn = svc.db.conn().await.unwrap();
        let row = queries::find_by_id(&conn, old_admin as i32)
            .await
            .unwrap()
            .unwrap();
        let changes = users::models::UserChanges {
            is_admin: Some(false),
            ..Default::default()
        };
        queries::update(&conn, row, changes).await.unwrap();
        let res = svc.get_as("/admin/stats", &former).await;
        assert_eq!(res.status(), 403, "{:?}", tdb.backend());
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": "Not enough permissions"})
        );

        // Deleted: its token is nobody's.
        let res = svc
            .client
            .delete(&format!("/users/{old_admin}"))
            .header("authorization", &bearer(&root))
            .send()
            .await;
        assert_eq!(res.status(), 204);
        let res = svc.get_as("/admin/stats", &former).await;
        assert_eq!(res.status(), 401);
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": "Could not validate credentials"})
        );
    }
}

#[actix_web::test]
async fn stats_are_503_while_the_items_service_is_unavailable() {
    let tdb = TestDatabase::sqlite();
    let svc = service_with(&tdb, ItemCounter::unavailable()).await;
    svc.admin("root").await;
    let root = svc.token("root").await;
    let res = svc.get_as("/admin/stats", &root).await;
    assert_eq!(res.status(), 503);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Items service unavailable"})
    );

    // A counter's own errors answer as they are.
    let tdb = TestDatabase::sqlite();
    let failing = ItemCounter::new(|| async { Err(HttpError::new(502, "Items service failed")) });
    let svc = service_with(&tdb, failing).await;
    svc.admin("root").await;
    let root = svc.token("root").await;
    let res = svc.get_as("/admin/stats", &root).await;
    assert_eq!(res.status(), 502);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Items service failed"})
    );
}

#[actix_web::test]
async fn ensure_admin_creates_then_updates_the_administrator() {
    for tdb in TestDatabase::all_from_env() {
        let svc = service(&tdb).await;

        // No credentials, no administrator.
        assert!(ensure_admin(&svc.db, None).await.unwrap().is_none());
        assert_eq!(count_users(&svc.db).await, 0, "{:?}", tdb.backend());

        let first = AdminCredentials {
            username: "root".into(),
            password: PASSWORD.into(),
        };
        let created = ensure_admin(&svc.db, Some(&first)).await.unwrap().unwrap();
        assert!(created.is_admin && created.is_active);
        let res = svc.login("root", PASSWORD).await;
        assert_eq!(res.status(), 200);

        // Run again with a new password (a restart with changed ADMIN_PASSWORD).
        let second = AdminCredentials {
            username: "root".into(),
            password: "a rotated password".into(),
        };
        let updated = ensure_admin(&svc.db, Some(&second)).await.unwrap().unwrap();
        assert_eq!(updated.id, created.id);
        assert_eq!(count_users(&svc.db).await, 1);
        assert_eq!(svc.login("root", PASSWORD).await.status(), 401);
        let res = svc.login("root", "a rotated password").await;
        assert_eq!(res.status(), 200);
        let token = res.json::<Value>()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let res = svc.get_as("/users/me", &token).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>()["username"], "root");
    }
}

#[actix_web::test]
async fn ensure_admin_promotes_and_reactivates_an_existing_account() {
    for tdb in TestDatabase::all_from_env() {
        let svc = service(&tdb).await;
        let id = svc.user("carol").await;
        let conn = svc.db.conn().await.unwrap();
        let row = queries::find_by_id(&conn, id as i32)
            .await
            .unwrap()
            .unwrap();
        let disable = users::models::UserChanges {
            is_active: Some(false),
            ..Default::default()
        };
        queries::update(&conn, row, disable).await.unwrap();

        let credentials = AdminCredentials {
            username: "carol".into(),
            password: "the admin password".into(),
        };
        let row = ensure_admin(&svc.db, Some(&credentials))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(i64::from(row.id), id, "{:?}", tdb.backend());
        assert!(row.is_admin && row.is_active);
        // The account's own password no longer opens it.
        assert_eq!(svc.login("carol", PASSWORD).await.status(), 401);
        let token = svc
            .login("carol", "the admin password")
            .await
            .json::<Value>()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let res = svc.get_as("/admin/stats", &token).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>(), json!({"users": 1, "items": 7}));
    }
}

#[actix_web::test]
async fn ensure_admin_refuses_credentials_registration_would_refuse() {
    let tdb = TestDatabase::sqlite();
    let svc = service(&tdb).await;
    for (username, password, var) in [
        ("root", "short", "ADMIN_PASSWORD"),
        ("r", PASSWORD, "ADMIN_USERNAME"),
    ] {
        let credentials = AdminCredentials {
            username: username.into(),
            password: password.into(),
        };
        let err = ensure_admin(&svc.db, Some(&credentials)).await.unwrap_err();
        assert!(matches!(err, BootstrapError::Invalid { .. }), "{err:?}");
        assert!(err.to_string().contains(var), "{err}");
    }
    assert_eq!(count_users(&svc.db).await, 0);
}

#[actix_web::test]
async fn the_admin_routes_are_documented_with_their_security_and_statuses() {
    let tdb = TestDatabase::sqlite();
    let svc = service(&tdb).await;
    let doc: Value = svc.client.get("/openapi.json").send().await.json();
    let stats = &doc["paths"]["/admin/stats"]["get"];
    assert_eq!(
        stats["security"],
        json!([{"OAuth2PasswordBearer": []}]),
        "{stats}"
    );
    assert_eq!(stats["tags"], json!(["admin"]));
    for status in ["200", "401", "403", "502", "503", "504"] {
        assert!(stats["responses"][status].is_object(), "{status}: {stats}");
    }
    let body = &stats["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(body["required"], json!(["users", "items"]), "{body}");
}
