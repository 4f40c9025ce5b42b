//! WebSockets over real connections: dependencies before the upgrade, validated
//! messages, limits, documentation (the socket's life: `websocket_lifecycle`).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use apiarist::{
    Dep, HttpError, Provide, RequestScope, State,
    prelude::*,
    testing::{TestClient, TestServer},
    ws::{AnyMessage, Upgrade, WebSocketUpgrade, WsConfig},
};
use awc::ws::{CloseCode, Frame, Message};
use serde_json::{Value, json};

#[derive(Debug, Deserialize, Validate, JsonSchema)]
struct Say {
    #[validate(length(min = 1, max = 20))]
    text: String,
    #[serde(default)]
    times: Option<u8>,
}

#[derive(Debug, Serialize, JsonSchema)]
struct Said {
    user: String,
    text: String,
}

/// What the sockets saw, for the tests to check after the fact.
#[derive(Debug, Default)]
pub struct Seen {
    pub handler_ended: AtomicBool,
    pub cleanups: AtomicUsize,
}

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct TokenQuery {
    token: Option<String>,
}

/// The caller, from `?token=`: a 401 without a good one.
#[derive(Debug, Clone)]
struct Caller {
    name: String,
}

impl Provide for Caller {
    type Needs = (Query<TokenQuery>, State<Seen>, RequestScope);
    const ERRORS: &'static [u16] = &[401];

    async fn provide((query, seen, scope): Self::Needs) -> Result<Self, actix_web::Error> {
        match query.token.as_deref() {
            Some("ann-token") => {
                let seen = seen.into_data();
                // Runs once the socket is closed (the response body has ended).
                scope.defer(async move {
                    seen.cleanups.fetch_add(1, Ordering::SeqCst);
                });
                Ok(Caller { name: "ann".into() })
            }
            _ => Err(HttpError::unauthorized("Not authenticated")
                .with_header("WWW-Authenticate", "Bearer")
                .into()),
        }
    }
}

/// Echo what the caller says, as many times as asked.
#[api_operation(summary = "Chat")]
async fn chat(
    ws: WebSocketUpgrade<Say, Said>,
    caller: Dep<Caller>,
    seen: State<Seen>,
) -> Upgrade<Say, Said> {
    let user = caller.name.clone();
    let seen = seen.into_data();
    ws.on_upgrade(move |mut socket| async move {
        while let Some(say) = socket.recv().await {
            for _ in 0..say.times.unwrap_or(1) {
                let said = Said {
                    user: user.clone(),
                    text: say.text.clone(),
                };
                if socket.send(&said).await.is_err() {
                    return;
                }
            }
        }
        seen.handler_ended.store(true, Ordering::SeqCst);
    })
}

#[derive(Debug, Serialize, JsonSchema)]
struct Tick {
    n: u32,
}

/// Three ticks, then the handler returns.
#[api_operation(summary = "Ticks")]
async fn ticks(ws: WebSocketUpgrade<AnyMessage, Tick>) -> Upgrade<AnyMessage, Tick> {
    ws.on_upgrade(|socket| async move {
        for n in 1..=3 {
            socket.send(&Tick { n }).await.unwrap();
        }
    })
}

/// Sends one tick and never reads.
#[api_operation(summary = "Deaf")]
async fn deaf(ws: WebSocketUpgrade<AnyMessage, Tick>) -> Upgrade<AnyMessage, Tick> {
    ws.on_upgrade(|socket| async move {
        socket.send(&Tick { n: 1 }).await.unwrap();
        std::future::pending::<()>().await;
    })
}

/// Fails on the first message.
#[api_operation(summary = "Boom")]
async fn boom(ws: WebSocketUpgrade<AnyMessage, Tick>) -> Upgrade<AnyMessage, Tick> {
    ws.on_upgrade(|mut socket| async move {
        if socket.recv().await.is_some() {
            panic!("the handler broke");
        }
    })
}

pub fn app(config: WsConfig) -> App {
    app_with(Arc::default(), config)
}

/// The sockets' app, reporting to `seen`.
pub fn app_with(seen: Arc<Seen>, config: WsConfig) -> App {
    App::new("sockets")
        .state_data(actix_web::web::Data::from(seen))
        .state(config)
        .include(
            Router::new()
                .get("/ws/chat", chat)
                .get("/ws/ticks", ticks)
                .get("/ws/deaf", deaf)
                .get("/ws/boom", boom),
        )
}

/// Pings every 100 ms, answered within 300 ms.
pub fn fast_pings() -> WsConfig {
    WsConfig {
        ping_interval: Duration::from_millis(100),
        ping_timeout: Duration::from_millis(300),
        ..WsConfig::default()
    }
}

#[actix_web::test]
async fn typed_messages_flow_and_an_invalid_one_gets_an_error_frame_without_closing() {
    let server = TestServer::start(app(WsConfig::default())).await;
    let mut conn = server.ws("/ws/chat?token=ann-token", &[]).await;

    conn.send_text(r#"{"text": "hi", "times": 2}"#).await;
    assert_eq!(
        conn.next_json::<Value>().await,
        json!({"user": "ann", "text": "hi"})
    );
    assert_eq!(
        conn.next_json::<Value>().await,
        json!({"user": "ann", "text": "hi"})
    );

    // Invalid: every problem at once, in the 422 body's shape.
    conn.send_text(r#"{"text": "", "times": "lots"}"#).await;
    let error = conn.next_json::<Value>().await;
    let kinds: Vec<_> = error["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["type"].clone(), e["loc"].clone()))
        .collect();
    assert!(
        kinds.contains(&(json!("string_too_short"), json!(["message", "text"]))),
        "{error}"
    );
    assert!(
        kinds.contains(&(json!("int_parsing"), json!(["message", "times"]))),
        "{error}"
    );

    // Not JSON at all, and a binary frame with a missing field.
    conn.send_text("hello?").await;
    let error = conn.next_json::<Value>().await;
    assert_eq!(error["detail"][0]["type"], "json_invalid");
    assert_eq!(error["detail"][0]["loc"], json!(["message", 0]));
    conn.send(Message::Binary(r#"{"times": 1}"#.into())).await;
    let error = conn.next_json::<Value>().await;
    assert_eq!(error["detail"][0]["type"], "missing");
    assert_eq!(error["detail"][0]["loc"], json!(["message", "text"]));

    // Still open: lax coercion as for bodies ("3" is an integer).
    conn.send_text(r#"{"text": "again", "times": "1"}"#).await;
    assert_eq!(conn.next_json::<Value>().await["text"], "again");
}

#[actix_web::test]
async fn a_failing_dependency_answers_401_and_nothing_is_upgraded() {
    let server = TestServer::start(app(WsConfig::default())).await;
    let handshake = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    let refused = server.raw_get("/ws/chat?token=wrong", &handshake).await;
    assert_eq!(refused.status(), 401, "{}", refused.head());
    assert_eq!(
        refused.json::<Value>(),
        json!({"detail": "Not authenticated"})
    );
    assert_eq!(refused.header("www-authenticate"), Some("Bearer"));

    let accepted = server.raw_get("/ws/chat?token=ann-token", &handshake).await;
    assert_eq!(accepted.status(), 101, "{}", accepted.head());
    assert_eq!(
        accepted.header("sec-websocket-accept"),
        Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    );
}

#[actix_web::test]
async fn a_plain_request_is_told_to_upgrade() {
    let client = TestClient::new(app(WsConfig::default())).await;
    let res = client.get("/ws/chat?token=ann-token").send().await;
    assert_eq!(res.status(), 426);
    assert_eq!(res.header("upgrade"), Some("websocket"));
    assert!(
        res.json::<Value>()["detail"]
            .as_str()
            .unwrap()
            .contains("WebSocket")
    );
}

#[actix_web::test]
async fn an_oversized_message_closes_with_1009() {
    let config = WsConfig {
        max_message_size: 64,
        ..WsConfig::default()
    };
    let server = TestServer::start(app(config)).await;
    let mut conn = server.ws("/ws/chat?token=ann-token", &[]).await;
    conn.send_text(&format!(r#"{{"text": "{}"}}"#, "x".repeat(100)))
        .await;
    match conn.next_frame().await {
        Frame::Close(reason) => assert_eq!(reason.unwrap().code, CloseCode::Size),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[actix_web::test]
async fn the_route_is_documented_as_an_upgrade() {
    let doc = app(WsConfig::default()).openapi();
    let op = &doc["paths"]["/ws/chat"]["get"];
    let upgrade = &op["responses"]["101"];
    assert!(
        upgrade["description"].as_str().unwrap().contains("`Say`"),
        "{upgrade}"
    );
    let messages = &upgrade["x-websocket"];
    assert_eq!(
        messages["clientMessage"]["properties"]["text"]["maxLength"],
        20
    );
    assert_eq!(
        messages["serverMessage"]["required"],
        json!(["user", "text"])
    );
    assert_eq!(
        messages["errorMessage"]["$ref"],
        "#/components/schemas/HTTPValidationError"
    );
    for status in ["400", "401", "422", "426"] {
        assert_eq!(
            op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .map(|r| r.rsplit('/').next().unwrap()),
            Some(if status == "422" {
                "HTTPValidationError"
            } else {
                "HTTPError"
            }),
            "{status}: {op}"
        );
    }
    assert_eq!(op["parameters"][0]["name"], "token");
}
