//! [`WebSocketUpgrade`], the extractor that accepts a WebSocket handshake, and
//! [`Upgrade`], the `101 Switching Protocols` answer; both document themselves.

use std::{future::Future, marker::PhantomData, pin::Pin};

use actix_web::{
    FromRequest, HttpRequest, HttpResponse, Responder, body::BoxBody, dev::Payload, http::header,
    web,
};
use apistos::{
    ApiComponent, ApistosSchema, OpenApiVersion,
    paths::{Parameter, Response, Responses},
    reference_or::ReferenceOr,
};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Value, json};

use super::{WebSocket, WsConfig, driver};
use crate::{
    HttpError,
    extract::Input,
    openapi::schema::{children_of, schema_of},
};

/// A WebSocket handshake, accepted: the handler parameter of a WebSocket route.
///
/// `In` is what the client sends (validated like a JSON body), `Out` what the
/// server sends. A request that is not a WebSocket handshake is answered with
/// `426 {"detail": ...}` (`Upgrade: websocket`), a malformed handshake with 400.
/// The handler's other extractors and dependencies run before the upgrade, so
/// their errors (a 401 from an auth dependency) are plain HTTP answers.
///
/// ```
/// use apiarist::{prelude::*, ws::{AnyMessage, Upgrade, WebSocketUpgrade}};
///
/// #[derive(Debug, Serialize, JsonSchema)]
/// struct Tick { n: u32 }
///
/// /// Count to three, then close.
/// #[api_operation(summary = "Ticks")]
/// async fn ticks(ws: WebSocketUpgrade<AnyMessage, Tick>) -> Upgrade<AnyMessage, Tick> {
///     ws.on_upgrade(|socket| async move {
///         for n in 1..=3 {
///             if socket.send(&Tick { n }).await.is_err() {
///                 return;
///             }
///         }
///     }) // returning closes the socket with 1000
/// }
/// # let _ = Router::new().get("/ws/ticks", ticks);
/// ```
pub struct WebSocketUpgrade<In, Out> {
    response: HttpResponse,
    session: actix_ws::Session,
    stream: actix_ws::MessageStream,
    config: WsConfig,
    _messages: PhantomData<fn(In) -> Out>,
}

impl<In, Out> std::fmt::Debug for WebSocketUpgrade<In, Out> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketUpgrade")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<In: Input, Out: Serialize + 'static> WebSocketUpgrade<In, Out> {
    /// Completes the upgrade: `handler` runs with the socket once the `101` answer
    /// has been sent, and the socket closes when it returns.
    pub fn on_upgrade<F, Fut>(self, handler: F) -> Upgrade<In, Out>
    where
        F: FnOnce(WebSocket<In, Out>) -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        driver::start(self.session, self.stream, self.config, handler);
        Upgrade {
            response: self.response,
            _messages: PhantomData,
        }
    }
}

impl<In: 'static, Out: 'static> FromRequest for WebSocketUpgrade<In, Out> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Payload::from_request(&req, payload);
        Box::pin(async move {
            let asks_upgrade = req
                .headers()
                .get(header::UPGRADE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
            if !asks_upgrade {
                return Err(HttpError::new(
                    426,
                    "This route speaks WebSocket: connect with `Upgrade: websocket`",
                )
                .with_header("upgrade", "websocket")
                .into());
            }
            let (response, session, stream) = actix_ws::handle(&req, body.await?)
                .map_err(|e| HttpError::bad_request(format!("Invalid WebSocket handshake: {e}")))?;
            let config = req
                .app_data::<web::Data<WsConfig>>()
                .map_or_else(WsConfig::default, |c| *c.get_ref());
            Ok(Self {
                response,
                session,
                stream,
                config,
                _messages: PhantomData,
            })
        })
    }
}

impl<In, Out> ApiComponent for WebSocketUpgrade<In, Out> {
    fn child_schemas(_: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
        Vec::new()
    }

    fn schema(_: OpenApiVersion) -> Option<(String, ReferenceOr<ApistosSchema>)> {
        None
    }

    fn parameters(_: OpenApiVersion, _: Option<String>) -> Vec<Parameter> {
        crate::di::declare_statuses(&[400, 426]);
        Vec::new()
    }
}

/// The answer of a WebSocket route: `101 Switching Protocols`, after which the
/// handler given to [`WebSocketUpgrade::on_upgrade`] owns the socket.
///
/// Documented as a `101` response whose description names `In` and `Out`; their
/// schemas are under the response's `x-websocket` (`clientMessage`,
/// `serverMessage`, and `errorMessage` for the validation error frame).
pub struct Upgrade<In, Out> {
    response: HttpResponse,
    _messages: PhantomData<fn(In) -> Out>,
}

impl<In, Out> std::fmt::Debug for Upgrade<In, Out> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upgrade")
            .field("status", &self.response.status())
            .finish()
    }
}

impl<In, Out> Responder for Upgrade<In, Out> {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        self.response
    }
}

impl<In: JsonSchema, Out: JsonSchema> ApiComponent for Upgrade<In, Out> {
    fn child_schemas(v: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
        let mut children = children_of::<In>(v);
        children.extend(children_of::<Out>(v));
        children
    }

    fn schema(_: OpenApiVersion) -> Option<(String, ReferenceOr<ApistosSchema>)> {
        None
    }

    fn responses(
        v: OpenApiVersion,
        _content_type: Option<String>,
        description: Option<String>,
    ) -> Option<Responses> {
        let description = description.unwrap_or_else(|| {
            format!(
                "Switching Protocols: the connection becomes a WebSocket. The client sends \
                 `{}` messages and receives `{}` messages, as JSON text frames. An invalid \
                 message is answered with a validation error frame (`HTTPValidationError`, \
                 `loc` starting with `\"message\"`) and the socket stays open. The server \
                 pings; a client that stops answering is disconnected (close code 1011).",
                In::schema_name(),
                Out::schema_name()
            )
        });
        let mut response = Response {
            description,
            ..Default::default()
        };
        response.extensions.insert(
            "x-websocket".to_owned(),
            json!({
                "clientMessage": inline_schema::<In>(v),
                "serverMessage": inline_schema::<Out>(v),
                "errorMessage": {"$ref": "#/components/schemas/HTTPValidationError"},
            }),
        );
        Some(Responses {
            responses: [("101".to_owned(), ReferenceOr::Object(response))].into(),
            ..Default::default()
        })
    }
}

/// `T`'s schema as JSON, without the meta-schema marker of a root schema.
fn inline_schema<T: JsonSchema>(v: OpenApiVersion) -> Value {
    let mut schema = serde_json::to_value(schema_of::<T>(v).1).unwrap_or(Value::Null);
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
    }
    schema
}
