//! The demo stack as docker compose runs it: users, items, orders, the worker and
//! the gateway, each a process of its own ([`Stack`]), on one fresh PostgreSQL
//! database and a RabbitMQ namespace of their own. The tests speak to the gateway
//! only, over HTTP, as a user of the stack does.
//!
//! - The story: register, log in, create an item, order it (orders reserves the
//!   stock in the items process), see the worker process confirm the order (orders
//!   runs with `EMBEDDED_WORKER=false`: nobody else can), see the stock decremented,
//!   an order for more than is left refused, the admin statistics (users asking
//!   items), and one merged `/openapi.json` listing every service's paths. Then
//!   SIGTERM stops every process with exit status 0.
//! - An outage: the items process is killed (SIGKILL). Its routes answer 502 with
//!   a JSON body naming it, the gateway's `/readyz` names it, the merged document
//!   marks its part stale, while users (reads, writes, logins) keeps working and
//!   orders refuses, with its own 502, an order it cannot reserve stock for. Items
//!   is started again on its port: its routes answer again with nothing lost, an
//!   order goes through to confirmation, users reaches items again, and the docs
//!   are current again.
//!
//! Without `DATABASE_URL` (PostgreSQL) and `AMQP_URL` the tests skip with a note,
//! except when `CI=true`, where they fail.

use std::time::Duration;

use e2e::{
    Service, Stack,
    http::{Client, Reply},
    stack::ADMIN,
    stack_binaries,
};
use serde_json::{Value, json};

/// How long the worker may take to confirm an order.
const PATIENCE: Duration = Duration::from_secs(60);

/// Registers `username` and logs in: the new account and its token.
async fn sign_up(gateway: &Client, username: &str) -> (Value, String) {
    let password = format!("{username}'s password");
    let account = json!({
        "username": username,
        "email": format!("{username}@example.com"),
        "password": password,
    });
    let created = gateway.post("/users/", None, &account).await;
    assert_eq!(created.status, 201, "{created}");
    assert_eq!(created.body["username"], username, "{created}");
    assert!(created.body.get("password").is_none(), "{created}");
    let token = gateway.login(username, &password).await;
    (created.body, token)
}

/// Creates an item with `stock` units.
async fn create_item(gateway: &Client, name: &str, stock: i64) -> i64 {
    let item = json!({"name": name, "price": 25.5, "stock": stock});
    let created = gateway.post("/items/", None, &item).await;
    assert_eq!(created.status, 201, "{created}");
    assert_eq!(created.body["stock"], stock, "{created}");
    created.body["id"].as_i64().expect("the item's id")
}

/// Places an order; `201` and the order, as placed (pending).
async fn order(gateway: &Client, token: &str, item_id: i64, quantity: i64) -> Value {
    let order = json!({"item_id": item_id, "quantity": quantity});
    let placed = gateway.post("/orders/", Some(token), &order).await;
    assert_eq!(placed.status, 201, "{placed}");
    assert_eq!(placed.body["status"], "pending", "{placed}");
    placed.body
}

/// Polls `GET /orders/{id}` until the order is confirmed.
async fn confirmed(stack: &Stack, gateway: &Client, token: &str, order: &Value) -> Value {
    let path = format!("/orders/{}", order["id"]);
    e2e::eventually(
        "the worker to confirm the order",
        PATIENCE,
        || stack.logs(),
        || async {
            let reply = gateway.get(&path, Some(token)).await;
            assert_eq!(reply.status, 200, "{reply}");
            (reply.body["status"] == "confirmed").then_some(reply.body)
        },
    )
    .await
}

/// The stock of `item_id`, read through the gateway.
async fn stock(gateway: &Client, item_id: i64) -> Value {
    let item = gateway.get(&format!("/items/{item_id}"), None).await;
    assert_eq!(item.status, 200, "{item}");
    item.body["stock"].clone()
}

#[actix_rt::test]
async fn the_story_runs_through_the_gateway_with_every_service_in_its_own_process() {
    let Some(services) = e2e::services("stack story") else {
        return;
    };
    let stack = Stack::start(&services, stack_binaries!(), "story").await;
    let gateway = Client::new(stack.gateway());

    let (ada, token) = sign_up(&gateway, "ada").await;
    let me = gateway.get("/users/me", Some(&token)).await;
    assert_eq!(me.status, 200, "{me}");
    assert_eq!(me.body["id"], ada["id"], "{me}");

    let item_id = create_item(&gateway, "Engine", 3).await;
    let placed = order(&gateway, &token, item_id, 2).await;
    assert_eq!(stock(&gateway, item_id).await, 1, "reserved when placed");
    let order = confirmed(&stack, &gateway, &token, &placed).await;
    assert_eq!(
        (&order["item_id"], &order["quantity"]),
        (&json!(item_id), &json!(2)),
        "{order}"
    );
    assert_eq!(order["owner"], ada["id"].to_string(), "the token's subject");
    assert_eq!(stock(&gateway, item_id).await, 1, "taken once");

    let refused = gateway
        .post(
            "/orders/",
            Some(&token),
            &json!({"item_id": item_id, "quantity": 5}),
        )
        .await;
    assert_eq!(refused.status, 409, "{refused}");
    assert_eq!(refused.body["error"], "insufficient_stock", "{refused}");
    assert_eq!(stock(&gateway, item_id).await, 1, "nothing reserved");

    // The users process counts items by asking the items process.
    let root = gateway.login(ADMIN.0, ADMIN.1).await;
    let stats = gateway.get("/admin/stats", Some(&root)).await;
    assert_eq!(
        stats,
        Reply {
            status: 200,
            body: json!({"users": 2, "items": 1})
        }
    );

    let doc = gateway.get("/openapi.json", None).await;
    assert_eq!(doc.status, 200);
    for path in [
        "/users/",
        "/users/me",
        "/token",
        "/admin/stats",
        "/hello",
        "/items/",
        "/items/{item_id}",
        "/orders/",
        "/orders/{order_id}",
    ] {
        assert!(
            doc.body["paths"][path].is_object(),
            "{path} is missing from {:?}",
            doc.body["paths"]
                .as_object()
                .map(|p| p.keys().collect::<Vec<_>>())
        );
    }
    assert_eq!(
        doc.body["x-services"],
        json!({
            "users": {"status": "current"},
            "items": {"status": "current"},
            "orders": {"status": "current"},
        })
    );

    stack.stop().await;
}

#[actix_rt::test]
async fn a_service_process_down_is_a_502_for_its_routes_only_and_the_stack_recovers() {
    let Some(services) = e2e::services("stack outage") else {
        return;
    };
    let mut stack = Stack::start(&services, stack_binaries!(), "outage").await;
    let gateway = Client::new(stack.gateway());
    let (_, token) = sign_up(&gateway, "grace").await;
    let item_id = create_item(&gateway, "Compiler", 5).await;
    let doc = gateway.get("/openapi.json", None).await;
    assert_eq!(doc.body["x-services"]["items"]["status"], "current");

    stack.kill(Service::Items);
    let unavailable = Reply {
        status: 502,
        body: json!({"detail": "items service unavailable", "service": "items"}),
    };
    assert_eq!(gateway.get("/items/", None).await, unavailable);
    assert_eq!(
        gateway.get(&format!("/items/{item_id}"), None).await,
        unavailable
    );
    let item = json!({"name": "Lost", "price": 1.0, "stock": 1});
    assert_eq!(gateway.post("/items/", None, &item).await, unavailable);
    assert_eq!(gateway.get("/hello", None).await, unavailable);

    // Users answers, reads and writes alike.
    let me = gateway.get("/users/me", Some(&token)).await;
    assert_eq!((me.status, &me.body["username"]), (200, &json!("grace")));
    let (_, other) = sign_up(&gateway, "hopper").await;
    assert_eq!(gateway.get("/users/me", Some(&other)).await.status, 200);
    // Orders answers too, and places no order it cannot reserve stock for.
    let refused = gateway
        .post(
            "/orders/",
            Some(&token),
            &json!({"item_id": item_id, "quantity": 1}),
        )
        .await;
    assert_eq!(
        refused,
        Reply {
            status: 502,
            body: json!({"detail": "items service unavailable"})
        }
    );

    let ready = gateway.get("/readyz", None).await;
    assert_eq!(ready.status, 503, "{ready}");
    assert_eq!(
        ready.body["detail"]["unavailable"],
        json!(["items"]),
        "{ready}"
    );
    let stale = e2e::eventually(
        "the docs to notice",
        PATIENCE,
        || stack.logs(),
        || async {
            let doc = gateway.get("/openapi.json", None).await;
            (doc.body["x-services"]["items"]["status"] == "stale").then_some(doc.body)
        },
    )
    .await;
    assert!(
        stale["paths"]["/items/"].is_object(),
        "its last document stands in"
    );

    // Back on its port, as a restarted container: nothing to tell the gateway.
    stack.restart(Service::Items).await;
    let ready = gateway.get("/readyz", None).await;
    assert_eq!(ready.status, 200, "{ready}");
    assert_eq!(
        stock(&gateway, item_id).await,
        5,
        "nothing lost, nothing taken"
    );
    let placed = order(&gateway, &token, item_id, 2).await;
    let order = confirmed(&stack, &gateway, &token, &placed).await;
    assert_eq!(order["quantity"], 2);
    assert_eq!(stock(&gateway, item_id).await, 3);
    let root = gateway.login(ADMIN.0, ADMIN.1).await;
    let stats = gateway.get("/admin/stats", Some(&root)).await;
    assert_eq!(
        stats,
        Reply {
            status: 200,
            body: json!({"users": 3, "items": 1})
        },
        "users reaches items again; the item created in the outage never was"
    );
    e2e::eventually(
        "the docs to be current again",
        PATIENCE,
        || stack.logs(),
        || async {
            let doc = gateway.get("/openapi.json", None).await;
            (doc.body["x-services"]["items"]["status"] == "current").then_some(())
        },
    )
    .await;

    stack.stop().await;
}
