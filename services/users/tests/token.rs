//! `POST /token`, the OAuth2 password flow: tokens, the one answer to every wrong
//! login, the 422s of the form, throttling, and its documentation.

mod common;

use apiarist::db::testing::TestDatabase;
use common::{MAX_FAILURES, PASSWORD, service};
use serde_json::{Value, json};

#[actix_web::test]
async fn a_correct_login_returns_a_bearer_token_for_the_account_id() {
    for tdb in TestDatabase::all_from_env() {
        let svc = service(&tdb).await;
        let id = svc.user("alice").await;
        let res = svc
            .client
            .post("/token")
            .form(&[
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", PASSWORD),
                ("scope", "items:write"),
            ])
            .send()
            .await;
        assert_eq!(res.status(), 200, "{:?}: {}", tdb.backend(), res.text());
        let body: Value = res.json();
        let token = body["access_token"].as_str().unwrap();
        assert_eq!(body, json!({"access_token": token, "token_type": "bearer"}));

        let claims = svc.auth.verify(token).unwrap();
        assert_eq!(claims.sub, id.to_string());
        assert!(claims.roles.is_empty(), "{claims:?}");
        assert!(
            claims.scopes.is_empty(),
            "requested scopes are not granted: {claims:?}"
        );
    }
}

#[actix_web::test]
async fn an_administrator_token_carries_the_admin_role() {
    for tdb in TestDatabase::all_from_env() {
        let svc = service(&tdb).await;
        let id = svc.admin("root").await;
        let token = svc.token("root").await;
        let claims = svc.auth.verify(&token).unwrap();
        assert_eq!(
            (claims.sub, claims.roles),
            (id.to_string(), vec!["admin".to_owned()])
        );
    }
}

#[actix_web::test]
async fn wrong_password_and_unknown_user_get_the_same_401() {
    for tdb in TestDatabase::all_from_env() {
        let svc = service(&tdb).await;
        svc.user("alice").await;
        for (username, password) in [
            ("alice", "wrong password"),
            ("nobody", PASSWORD),
            ("ALICE", PASSWORD),
        ] {
            let res = svc.login(username, password).await;
            assert_eq!(res.status(), 401, "{:?}: {username}", tdb.backend());
            assert_eq!(res.header("www-authenticate"), Some("Bearer"));
            assert_eq!(
                res.json::<Value>(),
                json!({"detail": "Incorrect username or password"})
            );
        }
    }
}

#[actix_web::test]
async fn a_missing_field_or_a_wrong_grant_type_is_422() {
    let tdb = TestDatabase::sqlite();
    let svc = service(&tdb).await;
    svc.user("alice").await;

    let res = svc
        .client
        .post("/token")
        .form(&[("username", "alice")])
        .send()
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "missing", "loc": ["body", "password"], "msg": "Field required", "input": null}]})
    );

    let res = svc
        .client
        .post("/token")
        .form(&[
            ("grant_type", "client_credentials"),
            ("username", "alice"),
            ("password", PASSWORD),
        ])
        .send()
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "string_pattern_mismatch", "loc": ["body", "grant_type"],
                           "msg": "String should match pattern '^password$'", "input": "client_credentials",
                           "ctx": {"pattern": "^password$"}}]})
    );

    // JSON is not the password flow.
    let res = svc
        .client
        .post("/token")
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(res.status(), 422, "{}", res.text());
}

#[actix_web::test]
async fn repeated_failures_lock_the_username_out_with_429_and_retry_after() {
    for tdb in TestDatabase::all_from_env() {
        let svc = service(&tdb).await;
        svc.user("alice").await;
        for attempt in 1..MAX_FAILURES {
            let res = svc.login("alice", "wrong password").await;
            assert_eq!(res.status(), 401, "{:?}: attempt {attempt}", tdb.backend());
        }
        // The failure that reaches the limit is already refused as throttled; the
        // username is matched case-insensitively, so "ALICE" cannot start over.
        for (username, password) in [
            ("alice", "wrong password"),
            ("ALICE", "wrong"),
            ("alice", PASSWORD),
        ] {
            let res = svc.login(username, password).await;
            assert_eq!(res.status(), 429, "{username}/{password}: {}", res.text());
            let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=900).contains(&retry), "{retry}");
            assert_eq!(
                res.json::<Value>(),
                json!({"detail": format!("Too many failed login attempts; retry in {retry} seconds")})
            );
        }
        // Other accounts are not affected.
        svc.user("bob").await;
        assert_eq!(svc.login("bob", PASSWORD).await.status(), 200);
    }
}

#[actix_web::test]
async fn a_successful_login_clears_earlier_failures() {
    let tdb = TestDatabase::sqlite();
    let svc = service(&tdb).await;
    svc.user("alice").await;
    for _ in 1..MAX_FAILURES {
        assert_eq!(svc.login("alice", "wrong password").await.status(), 401);
    }
    assert_eq!(svc.login("alice", PASSWORD).await.status(), 200);
    for _ in 1..MAX_FAILURES {
        let res = svc.login("alice", "wrong password").await;
        assert_eq!(res.status(), 401);
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": "Incorrect username or password"})
        );
    }
}

#[actix_web::test]
async fn the_token_route_is_documented_for_the_authorize_button() {
    let tdb = TestDatabase::sqlite();
    let svc = service(&tdb).await;
    let doc: Value = svc.client.get("/openapi.json").send().await.json();
    let token = &doc["paths"]["/token"]["post"];
    let form = &token["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"];
    assert_eq!(form["required"], json!(["username", "password"]), "{token}");
    assert_eq!(form["properties"]["grant_type"]["pattern"], "^password$");
    assert_eq!(token["tags"], json!(["auth"]));
    for status in ["200", "401", "422", "429"] {
        assert!(token["responses"][status].is_object(), "{status}: {token}");
    }
    assert!(
        token["security"].is_null(),
        "logging in needs no token: {token}"
    );
    let scheme = &doc["components"]["securitySchemes"]["OAuth2PasswordBearer"];
    assert_eq!(
        scheme["flows"]["password"]["tokenUrl"], "/token",
        "{scheme}"
    );
}
