//! A gateway in front of apiarist services: one address for the clients of a
//! stack, one API document for all the services behind it.
//!
//! A stack of services is one API to its clients. They should not have to know
//! which service owns `/orders`, nor read five `/docs` pages; and FastAPI, whose
//! services each document themselves, leaves merging those documents to whoever
//! runs them. A [`Gateway`] is an actix-web app that:
//!
//! - **routes** each request to the service that owns its path (the longest
//!   matching prefix, whole segments only) and streams the answer back, with the
//!   request id, the end-to-end headers and a timeout; a service down is a 502, a
//!   slow one a 504, both JSON naming the service (see [Proxying](#proxying));
//!   WebSockets open through it, and server-sent events stream through it event
//!   by event (see [WebSockets and streams](#websockets-and-streams));
//! - serves **one `/openapi.json`** merging every service's (only the paths it
//!   routes to that service; definitions that two services name alike but define
//!   differently renamed per service, see [`merge`]), with `/docs`, `/redoc` and
//!   `/scalar` over it, offline like a service's; and one `/asyncapi.json` merging
//!   the services' AsyncAPI documents. The services' documents are fetched when
//!   asked for and kept for a short while; a service that did not answer is asked
//!   again on the next request, so its paths come back with it;
//! - answers `GET /healthz` (the gateway is up) and `GET /readyz` (every service's
//!   `/readyz` answers 200; otherwise a 503 listing which one does not, and why).
//!
//! It holds no state but a cache of documents: run as many replicas as needed.
//!
//! ```no_run
//! use std::time::Duration;
//! use apiarist::gateway::Gateway;
//!
//! # actix_web::rt::System::new().block_on(async {
//! let gateway = Gateway::new("shop")
//!     .service("users", "http://127.0.0.1:8001", &["/users", "/token"])
//!     .service("items", "http://127.0.0.1:8002", &["/items"])
//!     .timeout(Duration::from_secs(30));
//! let listener = std::net::TcpListener::bind("127.0.0.1:8000")?;
//! gateway.serve_on(listener).await
//! # }).unwrap();
//! ```
//!
//! # Proxying
//!
//! Request and response bodies are streamed, with their length when they have
//! one. Hop-by-hop headers (`Connection` and those it names, `Keep-Alive`, `TE`,
//! `Transfer-Encoding`, `Upgrade`, `Proxy-*`) are dropped both ways; every other
//! header passes. `X-Forwarded-For`, `-Host` and `-Proto` are set by the gateway
//! (replacing the client's: the gateway is the edge). `X-Request-Id` is passed
//! (or made up) and returned. The request must be sent and the answer begun within
//! the [timeout](Gateway::timeout), and the answer's body must not stall for longer
//! than that. The service's answer, errors included, passes through untouched.
//!
//! # WebSockets and streams
//!
//! A `GET` with `Connection: upgrade` and `Upgrade: websocket` is a WebSocket
//! handshake: it goes to the service like any request (path, query,
//! `Authorization`, `Sec-WebSocket-*` and every other end-to-end header, the
//! request id, `X-Forwarded-*`). When the service answers `101`, the client gets
//! that answer and the gateway pipes the bytes of the two connections to each
//! other until one side closes, or the gateway stops (it closes its WebSockets
//! first, see [`Gateway::close_websockets`]): frames, pings and close codes pass
//! as sent, with no idle limit. Any other answer (a `401` of the service's, say) comes back as
//! the service wrote it; no service is a 502, no answer in time a 504.
//!
//! Response bodies are relayed chunk by chunk as the service flushes them, so a
//! `text/event-stream` reaches the client event by event; the only limit is the
//! stall [timeout](Gateway::timeout) between two chunks, which an SSE keep-alive
//! comment (every 15 s with [`Sse`](crate::stream::Sse)) stays under.

mod closing;
mod docs;
mod health;
pub mod merge;
mod proxy;
mod routes;
mod shared;
mod tunnel;

use std::{io, net::TcpListener, sync::Arc, time::Duration};

use actix_web::{
    HttpResponse,
    body::MessageBody,
    dev::{ServiceFactory, ServiceRequest, ServiceResponse},
    http::{Uri, header},
    web,
};
use serde_json::json;

use self::shared::Shared;
use crate::{
    middleware::{Core, CoreConfig},
    openapi::ui::{self, DocsConfig},
};

/// How long the services' documents are kept before they are fetched again.
pub const DEFAULT_DOCS_TTL: Duration = Duration::from_secs(10);

/// How long a service may take to start answering, unless set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Connecting, and the gateway's own calls (documents, readiness), take at most
/// this long (or the timeout, if shorter).
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// A service behind the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// Its name, in error bodies, logs, readiness reports and the merged documents.
    pub name: String,
    /// Its base URL (`http://host:port`, no trailing slash).
    pub url: String,
    /// The path prefixes routed to it.
    pub prefixes: Vec<String>,
}

impl Upstream {
    fn base(&self) -> &str {
        &self.url
    }
}

#[derive(Debug, Clone)]
struct Config {
    title: String,
    version: String,
    description: Option<String>,
    upstreams: Vec<Upstream>,
    table: routes::RouteTable,
    timeout: Duration,
    docs_ttl: Duration,
}

impl Config {
    fn upstream_for(&self, path: &str) -> Option<&Upstream> {
        self.table.route(path).map(|i| &self.upstreams[i])
    }

    fn probe_timeout(&self) -> Duration {
        self.timeout.min(PROBE_TIMEOUT)
    }

    fn connect_timeout(&self) -> Duration {
        self.probe_timeout()
    }
}

/// A reverse proxy with merged documentation in front of a set of services: see
/// the [module docs](self).
///
/// ```
/// use actix_web::test;
/// use apiarist::gateway::Gateway;
///
/// # actix_web::rt::System::new().block_on(async {
/// let gateway = Gateway::new("shop").service("items", "http://127.0.0.1:8002", &["/items"]);
/// let app = test::init_service(gateway.into_actix()).await;
/// let res = test::call_service(&app, test::TestRequest::get().uri("/healthz").to_request()).await;
/// assert_eq!(res.status(), 200);
/// let res = test::call_service(&app, test::TestRequest::get().uri("/basket").to_request()).await;
/// assert_eq!(res.status(), 404, "no service owns /basket");
/// let body: serde_json::Value = test::read_body_json(res).await;
/// assert_eq!(body["detail"], "Not Found");
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Gateway {
    config: Arc<Config>,
    cache: Arc<docs::DocCache>,
    closing: closing::Closing,
}

impl Gateway {
    /// A gateway with no service yet; `title` names the merged document.
    pub fn new(title: &str) -> Self {
        Self {
            config: Arc::new(Config {
                title: title.to_owned(),
                version: "0.1.0".to_owned(),
                description: None,
                upstreams: Vec::new(),
                table: routes::RouteTable::default(),
                timeout: DEFAULT_TIMEOUT,
                docs_ttl: DEFAULT_DOCS_TTL,
            }),
            cache: Arc::default(),
            closing: closing::Closing::default(),
        }
    }

    /// The version shown in the merged documents.
    pub fn version(mut self, version: &str) -> Self {
        Arc::make_mut(&mut self.config).version = version.to_owned();
        self
    }

    /// The description of the merged OpenAPI document (CommonMark).
    pub fn description(mut self, description: &str) -> Self {
        Arc::make_mut(&mut self.config).description = Some(description.to_owned());
        self
    }

    /// Adds the service `name` at `url` (`http://host:port`), owning the paths under
    /// each of `prefixes` (`/users` takes `/users` and `/users/...`; `/` takes only
    /// `/`). Where prefixes nest, the longer one wins.
    ///
    /// # Panics
    ///
    /// If `url` is not an absolute `http://` URL, or if a name or a prefix is
    /// taken already: a gateway with an ambiguous configuration must not start.
    ///
    /// ```
    /// use apiarist::gateway::Gateway;
    ///
    /// let gateway = Gateway::new("shop")
    ///     .service("users", "http://users:8001/", &["/users", "/admin"])
    ///     .service("orders", "http://orders:8003", &["/orders", "/admin/jobs"]);
    /// assert_eq!(gateway.upstreams()[0].url, "http://users:8001");
    /// ```
    pub fn service(mut self, name: &str, url: &str, prefixes: &[&str]) -> Self {
        let url = url.trim_end_matches('/');
        let parsed: Result<Uri, _> = url.parse();
        assert!(
            parsed.is_ok_and(|u| u.scheme_str() == Some("http") && u.authority().is_some()),
            "service {name}: {url:?} is not an http://host:port URL"
        );
        let config = Arc::make_mut(&mut self.config);
        assert!(
            config.upstreams.iter().all(|u| u.name != name),
            "service {name} is added twice"
        );
        let index = config.upstreams.len();
        for prefix in prefixes {
            if let Err(owner) = config.table.add(prefix, index) {
                let owner = &config.upstreams[owner].name;
                panic!("prefix {prefix} of service {name} is already routed to {owner}");
            }
        }
        config.upstreams.push(Upstream {
            name: name.to_owned(),
            url: url.to_owned(),
            prefixes: prefixes.iter().map(|p| routes::normalise(p)).collect(),
        });
        self
    }

    /// How long the gateway may take to send a request to its service and get the
    /// beginning of the answer (and how long the answer's body may stall) before
    /// the client gets a 504; [`DEFAULT_TIMEOUT`] unless set. Connecting is
    /// bounded by the smaller of this and 5 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        Arc::make_mut(&mut self.config).timeout = timeout;
        self
    }

    /// How long a service's document is reused before it is fetched again;
    /// [`DEFAULT_DOCS_TTL`] unless set. A document that could not be fetched is
    /// asked for again after a second.
    pub fn docs_ttl(mut self, ttl: Duration) -> Self {
        Arc::make_mut(&mut self.config).docs_ttl = ttl;
        self
    }

    /// The services, in the order they were added.
    pub fn upstreams(&self) -> &[Upstream] {
        &self.config.upstreams
    }

    /// The actix-web app of one worker: the gateway's own routes, the proxy for
    /// everything else, and the framework's middleware (request ids, spans, JSON
    /// errors).
    pub fn into_actix(
        self,
    ) -> actix_web::App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = actix_web::Error,
            InitError = (),
        >,
    > {
        let connector = awc::Connector::new().timeout(self.config.connect_timeout());
        // The proxy sets a timeout on each request; redirects are the client's to follow.
        let client = awc::Client::builder()
            .connector(connector)
            .disable_timeout()
            .disable_redirects()
            .no_default_headers()
            .finish();
        let pages = DocsConfig {
            title: self.config.title.clone(),
            ..DocsConfig::default()
        };
        let shared = web::Data::new(Shared {
            config: self.config,
            cache: self.cache,
            closing: self.closing,
            client,
        });
        actix_web::App::new()
            .app_data(shared)
            .service(own("/healthz", health::healthz))
            .service(own("/readyz", health::readyz))
            .service(own(&pages.openapi_url, docs::openapi))
            .service(own("/asyncapi.json", docs::asyncapi))
            .configure(|cfg| ui::configure(cfg, &pages))
            .default_service(web::to(proxy::forward))
            .wrap(Core::new(CoreConfig::default()))
    }

    /// Serves the gateway on `listener` until SIGINT/SIGTERM; then closes the open
    /// WebSockets ([`close_websockets`](Self::close_websockets)) and lets the
    /// requests in flight finish.
    pub async fn serve_on(self, listener: TcpListener) -> io::Result<()> {
        let closing = self.closing.clone();
        let server = self.server(listener)?;
        let handle = server.handle();
        actix_web::rt::spawn(async move {
            closing::stop_signal().await;
            tracing::info!("stopping: WebSockets closed, requests in flight finish");
            closing.close();
            handle.stop(true).await;
        });
        let served = server.await;
        // The last requests' spans, before the process exits.
        crate::telemetry::flush();
        served
    }

    /// Starts serving on `listener` and returns the running server at once: await
    /// it, and stop it with [`close_websockets`](Self::close_websockets) (on a clone
    /// of this gateway) then `server.handle().stop(true)`. It does not react to
    /// signals itself. Call it inside an actix system.
    pub fn start_on(self, listener: TcpListener) -> io::Result<actix_web::dev::Server> {
        self.server(listener)
    }

    /// Ends every WebSocket open through this gateway (and its clones), and any
    /// opened later: what a stopping gateway does first, since an open socket
    /// would hold a graceful stop for the whole shutdown timeout. Their clients see
    /// the connection end.
    pub fn close_websockets(&self) {
        self.closing.close();
    }

    fn server(self, listener: TcpListener) -> io::Result<actix_web::dev::Server> {
        let gateway = self.clone();
        let server = actix_web::HttpServer::new(move || gateway.clone().into_actix())
            .listen(listener)?
            .disable_signals();
        for addr in server.addrs() {
            tracing::info!(gateway = %self.config.title, "listening on http://{addr} (docs at /docs)");
        }
        for upstream in self.upstreams() {
            tracing::info!(service = %upstream.name, url = %upstream.url, prefixes = ?upstream.prefixes, "routing");
        }
        Ok(server.run())
    }
}

/// A `GET` route of the gateway itself, with a JSON 405 for other methods.
fn own<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler))
        .default_service(web::to(|| async {
            HttpResponse::MethodNotAllowed()
                .insert_header((header::ALLOW, "GET"))
                .json(json!({"detail": "Method Not Allowed"}))
        }))
}
