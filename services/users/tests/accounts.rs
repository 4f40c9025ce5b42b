//! `/users` over HTTP, on SQLite and (with `DATABASE_URL`) PostgreSQL: changing and
//! deleting accounts (who may do what), accounts surviving a restart, the document,
//! and the migrations beside another service's. Registration and reading: `users.rs`.

mod common;

use apiarist::db::{
    Database,
    sea_orm::{ConnectionTrait, Statement},
    testing::TestDatabase,
};
use common::{PASSWORD, bearer, service};
use serde_json::{Value, json};
use users::Migrator;

#[actix_web::test]
async fn users_update_their_own_account_and_only_that() {
    for tdb in TestDatabase::all_from_env() {
        let svc = service(&tdb).await;
        let alice = svc.user("alice").await;
        let bob = svc.user("bob").await;
        let token = svc.token("alice").await;
        let put = |id: i64, body: Value| {
            svc.client
                .put(&format!("/users/{id}"))
                .header("authorization", &bearer(&token))
                .json(&body)
                .send()
        };

        let res = put(
            alice,
            json!({"email": "alice@wonderland.example", "full_name": "Alice", "password": "a new password"}),
        )
        .await;
        assert_eq!(res.status(), 200, "{:?}: {}", tdb.backend(), res.text());
        assert_eq!(
            res.json::<Value>(),
            json!({"id": alice, "username": "alice", "email": "alice@wonderland.example",
                   "full_name": "Alice", "is_active": true})
        );
        assert!(!res.text().contains("password"));
        assert_eq!(svc.login("alice", PASSWORD).await.status(), 401);
        assert_eq!(svc.login("alice", "a new password").await.status(), 200);

        // An empty update changes nothing.
        let res = put(alice, json!({})).await;
        assert_eq!(
            (res.status(), res.json::<Value>()["full_name"].clone()),
            (200, json!("Alice"))
        );

        for (id, body) in [
            (bob, json!({"full_name": "Bobby"})),
            (99999, json!({"full_name": "Nobody"})),
            (alice, json!({"is_active": false})),
        ] {
            let res = put(id, body.clone()).await;
            assert_eq!(res.status(), 403, "{id} {body}");
            assert_eq!(
                res.json::<Value>(),
                json!({"detail": "Not enough permissions"})
            );
        }

        let res = put(alice, json!({"email": "nope", "password": "short"})).await;
        assert_eq!(res.status(), 422);
        let locs: Vec<Value> = res.json::<Value>()["detail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["loc"].clone())
            .collect();
        assert_eq!(
            locs,
            [json!(["body", "email"]), json!(["body", "password"])]
        );

        let res = svc
            .client
            .put(&format!("/users/{alice}"))
            .json(&json!({}))
            .send()
            .await;
        assert_eq!(res.status(), 401);
    }
}

#[actix_web::test]
async fn admins_update_any_account_and_missing_ones_are_404() {
    for tdb in TestDatabase::all_from_env() {
        let svc = service(&tdb).await;
        svc.admin("root").await;
        let root = svc.token("root").await;
        let bob = svc.user("bob").await;
        let res = svc
            .client
            .put(&format!("/users/{bob}"))
            .header("authorization", &bearer(&root))
            .json(&json!({"full_name": "Robert", "is_active": false}))
            .send()
            .await;
        assert_eq!(res.status(), 200, "{:?}", tdb.backend());
        assert_eq!(
            res.json::<Value>(),
            json!({"id": bob, "username": "bob", "email": "bob@example.com",
                   "full_name": "Robert", "is_active": false})
        );

        let res = svc
            .client
            .put("/users/99999")
            .header("authorization", &bearer(&root))
            .json(&json!({"full_name": "Nobody"}))
            .send()
            .await;
        assert_eq!(res.status(), 404);
        assert_eq!(res.json::<Value>(), json!({"detail": "User not found"}));
    }
}

#[actix_web::test]
async fn only_admins_delete_accounts() {
    for tdb in TestDatabase::all_from_env() {
        let svc = service(&tdb).await;
        svc.admin("root").await;
        let root = svc.token("root").await;
        let alice = svc.user("alice").await;
        let alice_token = svc.token("alice").await;
        let delete = |id: i64, token: String| {
            svc.client
                .delete(&format!("/users/{id}"))
                .header("authorization", &bearer(&token))
                .send()
        };

        // Not even their own account, nor a missing one (403 before 404).
        for id in [alice, 99999] {
            let res = delete(id, alice_token.clone()).await;
            assert_eq!(res.status(), 403, "{:?}", tdb.backend());
            assert_eq!(
                res.json::<Value>(),
                json!({"detail": "Not enough permissions"})
            );
        }
        let res = svc.client.delete(&format!("/users/{alice}")).send().await;
        assert_eq!(res.status(), 401);
        assert_eq!(res.json::<Value>(), json!({"detail": "Not authenticated"}));

        let res = delete(alice, root.clone()).await;
        assert_eq!(res.status(), 204);
        assert!(res.bytes().is_empty());
        let res = delete(alice, root.clone()).await;
        assert_eq!(res.status(), 404);
        assert_eq!(res.json::<Value>(), json!({"detail": "User not found"}));
        let res = svc.get_as(&format!("/users/{alice}"), &root).await;
        assert_eq!(res.status(), 404);
    }
}

#[actix_web::test]
async fn a_registered_user_survives_a_restart() {
    for tdb in TestDatabase::all_from_env() {
        let id = {
            let svc = service(&tdb).await;
            svc.user("alice").await
        };
        // A new process: a new database handle (migrations already applied) and app.
        let db: Database = tdb.connect::<Migrator>().await;
        let client = apiarist::testing::TestClient::new(users::app(
            db,
            common::auth(),
            common::seven_items(),
        ))
        .await;
        let res = client
            .post("/token")
            .form(&[("username", "alice"), ("password", PASSWORD)])
            .send()
            .await;
        assert_eq!(res.status(), 200, "{:?}: {}", tdb.backend(), res.text());
        let token = res.json::<Value>()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let res = client
            .get("/users/me")
            .header("authorization", &bearer(&token))
            .send()
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>()["id"], id);
    }
}

#[actix_web::test]
async fn the_document_shows_the_security_the_errors_and_no_password() {
    let tdb = TestDatabase::sqlite();
    let svc = service(&tdb).await;
    let doc: Value = svc.client.get("/openapi.json").send().await.json();

    let me = &doc["paths"]["/users/me"]["get"];
    assert_eq!(
        me["security"],
        json!([{"OAuth2PasswordBearer": []}]),
        "{me}"
    );
    assert!(me["responses"]["401"]["content"].is_object(), "{me}");
    assert_eq!(me["tags"], json!(["users"]));

    let by_id = &doc["paths"]["/users/{user_id}"];
    let param = &by_id["get"]["parameters"][0];
    assert_eq!(param["schema"]["exclusiveMinimum"], 0, "{param}");
    for (method, statuses) in [
        ("get", &["200", "401", "404", "422"][..]),
        ("put", &["200", "401", "403", "404", "422"][..]),
        ("delete", &["204", "401", "403", "404", "422"][..]),
    ] {
        for status in statuses {
            assert!(
                by_id[method]["responses"][status].is_object(),
                "{method} {status}: {}",
                by_id[method]
            );
        }
    }
    let create = &doc["paths"]["/users/"]["post"];
    assert!(create["responses"]["201"].is_object() && create["responses"]["409"].is_object());
    assert!(
        create["security"].is_null(),
        "registration is open: {create}"
    );

    let response = &me["responses"]["200"]["content"]["application/json"]["schema"]["properties"];
    let mut fields: Vec<&String> = response.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        ["email", "full_name", "id", "is_active", "username"]
    );
    assert!(!doc.to_string().contains("hashed_password"));
}

/// Another service's migrator, with sea-orm's default bookkeeping table.
mod other_service {
    use apiarist::db::sea_orm_migration::{prelude::*, schema::*};

    pub struct Migrator;

    struct CreateWidgets;

    impl MigrationName for CreateWidgets {
        fn name(&self) -> &str {
            "m20260101_000001_create_widgets"
        }
    }

    #[async_trait::async_trait]
    impl MigrationTrait for CreateWidgets {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            let table = Table::create()
                .table("widgets")
                .col(pk_auto("id"))
                .to_owned();
            manager.create_table(table).await
        }
    }

    impl MigratorTrait for Migrator {
        fn migrations() -> Vec<Box<dyn MigrationTrait>> {
            vec![Box::new(CreateWidgets)]
        }
    }
}

#[actix_web::test]
async fn the_migrations_share_a_database_with_another_service() {
    for tdb in TestDatabase::all_from_env() {
        let users_db = tdb.connect::<Migrator>().await;
        // Another service migrating the same database neither sees our migration as
        // unknown nor re-runs it; and ours still start afterwards.
        tdb.connect::<other_service::Migrator>().await;
        tdb.connect::<Migrator>().await;
        let conn = users_db.conn().await.unwrap();
        let applied = |table: &str| {
            let sql = format!("SELECT version FROM {table}");
            let stmt = Statement::from_string(conn.get_database_backend(), sql);
            let conn = conn.clone();
            async move {
                let rows = conn.query_all_raw(stmt).await.unwrap();
                rows.iter()
                    .map(|row| row.try_get::<String>("", "version").unwrap())
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            applied(users::migrations::MIGRATION_TABLE).await,
            ["m20260101_000001_create_users"],
            "{:?}",
            tdb.backend()
        );
        assert_eq!(
            applied("seaql_migrations").await,
            ["m20260101_000001_create_widgets"]
        );
    }
}
