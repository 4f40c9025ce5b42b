//! [`ServiceClient`]: typed JSON calls to one other service.

use std::{sync::Arc, time::Duration};

use actix_web::http::{
    Method, StatusCode,
    header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER},
};
use actix_web::web::Bytes;
use awc::error::{ConnectError, PayloadError, SendRequestError};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use super::{CallContext, ClientError, ServiceToken, transport};
use crate::{
    REQUEST_ID_HEADER,
    telemetry::{TRACEPARENT, TraceParent},
};

/// How long a call may take when nothing else is said.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest response body a call reads.
const MAX_BODY: usize = 8 * 1024 * 1024;

/// A typed JSON client for one other service of the stack.
///
/// Each call sends JSON, reads JSON into the type asked for, and fails with a
/// [`ClientError`] that renders itself as this service's answer (502 when the other
/// service is down, 504 when it is slow, its own 404 or 409 kept, see the table there).
/// Every call is bounded by the client's timeout as a whole (connecting, sending, the
/// answer and its body): a slow service never hangs the caller.
///
/// It is cheap to clone and meant to be app state: the connections under it are
/// kept per worker thread and reused. A call sends `X-Request-Id` from the
/// [`CallContext`] given with [`in_context`](Self::in_context), and an
/// `Authorization: Bearer` header when the client has a token
/// ([`with_bearer`](Self::with_bearer), [`with_service_token`](Self::with_service_token)).
///
/// ```
/// use std::time::Duration;
/// use apiarist::client::{CallContext, ServiceClient};
/// use serde_json::Value;
///
/// let items = ServiceClient::new("items", "http://127.0.0.1:8002/")
///     .with_timeout(Duration::from_secs(2));
/// assert_eq!(items.base_url(), "http://127.0.0.1:8002");
///
/// # actix_rt::System::new().block_on(async move {
/// // In a handler: items.in_context(&ctx).get::<Value>("/items/7").await?
/// let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
/// let unbound = ServiceClient::new("items", format!("http://127.0.0.1:{port}")); // nothing listens
/// let err = unbound.get::<Value>("/items/7").await.unwrap_err();
/// assert_eq!(err.to_http_error().status().as_u16(), 502);
/// assert_eq!(err.to_http_error().detail(), "items service unavailable");
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct ServiceClient {
    config: Arc<Config>,
    context: CallContext,
}

#[derive(Debug, Clone)]
struct Config {
    service: String,
    base_url: String,
    timeout: Duration,
    credential: Credential,
}

#[derive(Clone)]
enum Credential {
    None,
    Bearer(String),
    Service(ServiceToken),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Self::Service(token) => write!(f, "Service({})", token.subject()),
        }
    }
}

impl ServiceClient {
    /// A client for the service called `service` (the name its errors carry) at
    /// `base_url` (e.g. `http://items:8002`; a trailing `/` is dropped), with the
    /// [`DEFAULT_TIMEOUT`] and no token.
    pub fn new(service: impl Into<String>, base_url: impl Into<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        Self {
            config: Arc::new(Config {
                service: service.into(),
                base_url,
                timeout: DEFAULT_TIMEOUT,
                credential: Credential::None,
            }),
            context: CallContext::default(),
        }
    }

    /// The same client with another timeout for each whole call.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        Arc::make_mut(&mut self.config).timeout = timeout;
        self
    }

    /// The same client sending `Authorization: Bearer <token>` on every call (e.g. a
    /// user's token passed on).
    #[must_use]
    pub fn with_bearer(mut self, token: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.config).credential = Credential::Bearer(token.into());
        self
    }

    /// The same client proving this service's identity on every call with `token`
    /// (see [`ServiceToken`]).
    #[must_use]
    pub fn with_service_token(mut self, token: ServiceToken) -> Self {
        Arc::make_mut(&mut self.config).credential = Credential::Service(token);
        self
    }

    /// A copy for calls made on behalf of the request `ctx` describes: they carry its
    /// request id and continue its trace.
    #[must_use]
    pub fn in_context(&self, ctx: &CallContext) -> Self {
        Self {
            config: Arc::clone(&self.config),
            context: ctx.clone(),
        }
    }

    /// The name of the service called.
    pub fn service(&self) -> &str {
        &self.config.service
    }

    /// Where the service is, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.config.base_url
    }

    /// The timeout of each whole call.
    pub fn timeout(&self) -> Duration {
        self.config.timeout
    }

    /// `GET path` (relative to the base URL, query string included), its JSON
    /// answer as `T`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.call(Method::GET, path, None::<&()>).await
    }

    /// `POST path` with `body` as JSON.
    pub async fn post<B, T>(&self, path: &str, body: &B) -> Result<T, ClientError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        self.call(Method::POST, path, Some(body)).await
    }

    /// `PUT path` with `body` as JSON.
    pub async fn put<B, T>(&self, path: &str, body: &B) -> Result<T, ClientError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        self.call(Method::PUT, path, Some(body)).await
    }

    /// `PATCH path` with `body` as JSON.
    pub async fn patch<B, T>(&self, path: &str, body: &B) -> Result<T, ClientError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        self.call(Method::PATCH, path, Some(body)).await
    }

    /// `DELETE path`; `T = ()` reads an empty answer (a 204).
    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.call(Method::DELETE, path, None::<&()>).await
    }

    /// Any method, with an optional JSON body; what the shortcuts above call. A 2xx
    /// answer is decoded as `T` (an empty body as JSON `null`, so `()` and `Option`
    /// accept it); any other status is a [`ClientError::Status`].
    pub async fn call<B, T>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, ClientError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let result = self.exchange(&method, path, body).await.and_then(|answer| {
            if answer.status.is_success() {
                self.decode(&answer.body)
            } else {
                Err(self.status_error(answer))
            }
        });
        if let Err(error) = &result {
            self.log(&method, path, error);
        }
        result
    }

    /// Sends the request and reads the answer, all within the timeout.
    async fn exchange<B: Serialize + ?Sized>(
        &self,
        method: &Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Answer, ClientError> {
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| self.request_error(format!("the body does not serialise: {e}")))?;
        let bearer = match &self.config.credential {
            Credential::None => None,
            Credential::Bearer(token) => Some(token.clone()),
            Credential::Service(token) => Some(token.token().await.map_err(|e| {
                self.request_error(format!("no service token for {}: {e}", token.subject()))
            })?),
        };
        let url = format!("{}{}", self.config.base_url, path);
        let mut request = transport::client()
            .request(method.clone(), url.as_str())
            .insert_header((ACCEPT, "application/json"));
        if let Some(id) = self.context.request_id() {
            request = request.insert_header((REQUEST_ID_HEADER, id));
        }
        // Outside a request (a job), the span being executed, when traces are exported.
        let traceparent = self
            .context
            .traceparent()
            .cloned()
            .or_else(TraceParent::current);
        if let Some(traceparent) = traceparent {
            request = request.insert_header((TRACEPARENT, traceparent.to_string()));
        }
        if let Some(token) = bearer {
            request = request.insert_header((AUTHORIZATION, format!("Bearer {token}")));
        }
        let exchange = async {
            let sent = match body {
                Some(bytes) => {
                    request
                        .insert_header((CONTENT_TYPE, "application/json"))
                        .send_body(bytes)
                        .await
                }
                None => request.send().await,
            };
            let mut response = sent.map_err(|e| self.send_error(e))?;
            let body = response
                .body()
                .limit(MAX_BODY)
                .await
                .map_err(|e| self.payload_error(e))?;
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            Ok(Answer {
                status: response.status(),
                body,
                retry_after,
            })
        };
        match actix_rt::time::timeout(self.config.timeout, exchange).await {
            Ok(answer) => answer,
            Err(_) => Err(self.timed_out()),
        }
    }

    fn decode<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, ClientError> {
        let json = if body.is_empty() { b"null" } else { body };
        serde_json::from_slice(json).map_err(|e| ClientError::Decode {
            service: self.config.service.clone(),
            reason: e.to_string(),
        })
    }

    fn status_error(&self, answer: Answer) -> ClientError {
        let body = serde_json::from_slice::<Value>(&answer.body).unwrap_or_else(|_| {
            match String::from_utf8_lossy(&answer.body).trim() {
                "" => Value::from(answer.status.canonical_reason().unwrap_or("Error")),
                text => Value::from(text),
            }
        });
        ClientError::Status {
            service: self.config.service.clone(),
            status: answer.status,
            body,
            retry_after: answer.retry_after,
        }
    }

    fn send_error(&self, error: SendRequestError) -> ClientError {
        match error {
            SendRequestError::Timeout | SendRequestError::Connect(ConnectError::Timeout) => {
                self.timed_out()
            }
            SendRequestError::Url(e) => self.request_error(format!("invalid URL: {e}")),
            SendRequestError::Http(e) => self.request_error(format!("invalid request: {e}")),
            other => ClientError::Unavailable {
                service: self.config.service.clone(),
                reason: other.to_string(),
            },
        }
    }

    fn payload_error(&self, error: PayloadError) -> ClientError {
        match error {
            PayloadError::Overflow => ClientError::Decode {
                service: self.config.service.clone(),
                reason: format!("the body is larger than {MAX_BODY} bytes"),
            },
            other => ClientError::Unavailable {
                service: self.config.service.clone(),
                reason: format!("the answer broke off: {other}"),
            },
        }
    }

    fn timed_out(&self) -> ClientError {
        ClientError::Timeout {
            service: self.config.service.clone(),
            after: self.config.timeout,
        }
    }

    fn request_error(&self, reason: String) -> ClientError {
        ClientError::Request {
            service: self.config.service.clone(),
            reason,
        }
    }

    fn log(&self, method: &Method, path: &str, error: &ClientError) {
        let service = self.service();
        let request_id = self.context.request_id().unwrap_or("-");
        match error {
            // An error answer is the other service's business, and usually expected.
            ClientError::Status { status, .. } if !status.is_server_error() => tracing::debug!(
                service, %method, path, request_id, status = status.as_u16(), "service call answered an error"
            ),
            // This side's own mistake (configuration, a type that does not serialise).
            ClientError::Request { .. } => tracing::error!(
                service, %method, path, request_id, error = %error, "service call could not be made"
            ),
            _ => tracing::warn!(
                service, %method, path, request_id, error = %error, "service call failed"
            ),
        }
    }
}

/// What came back: status, body, `Retry-After`.
struct Answer {
    status: StatusCode,
    body: Bytes,
    retry_after: Option<String>,
}
