//! [`App`]: one service's routes, documentation, error policy and state, and the
//! server that runs them.
//!
//! An `App` is a description, cheap to clone and `Send`: actix-web builds the real
//! application once per worker thread from it ([`App::into_actix`]). The OpenAPI
//! document is assembled once, the first time it is needed, and shared by all workers.

use std::{
    any::TypeId,
    future::Future,
    sync::{Arc, OnceLock},
};

use actix_web::{
    HttpRequest, HttpResponse, ResponseError,
    body::MessageBody,
    dev::{ServiceFactory, ServiceRequest, ServiceResponse},
    web,
};
use serde_json::Value;

mod layers;
mod lifespan;
mod register;
mod run;

use crate::{
    ErrorFormat,
    di::{Overrides, Provide},
    middleware::{AppStack, BodyLimitInfo, Core, CoreConfig, ExceptionHandler, Middleware},
    openapi::{ApiInfo, build_document, ui::DocsConfig},
    routing::{RouteDef, Router},
};

type Configurator = Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

/// A service's application: routers, docs, state and error policy.
///
/// ```
/// use apiarist::{App, Router, prelude::*};
///
/// /// Say hello.
/// #[api_operation(summary = "Say hello")]
/// async fn hello() -> Json<String> {
///     Json("hello".to_owned())
/// }
///
/// let app = App::new("greeter").version("1.0.0").include(Router::new().get("/hello", hello));
/// let doc = app.openapi();
/// assert_eq!(doc["info"]["title"], "greeter");
/// assert!(doc["paths"]["/hello"]["get"].is_object());
/// ```
#[derive(Clone)]
pub struct App {
    info: ApiInfo,
    router: Router,
    format: ErrorFormat,
    handlers: Vec<ExceptionHandler>,
    configurators: Vec<Configurator>,
    mounts: Vec<(String, App)>,
    docs: Option<DocsConfig>,
    /// Set on a mounted app: where its parent serves it, for the docs pages' links.
    mount_prefix: String,
    body_limit: usize,
    document: Arc<OnceLock<web::Bytes>>,
    /// App state registered so far, for the start-up check of `State<T>` needs.
    states: Vec<TypeId>,
    overrides: Overrides,
    ready_checks: crate::health::ReadinessChecks,
    shutdown: Vec<ShutdownHook>,
    startup: Vec<lifespan::StartupHook>,
    /// Middleware around the whole app, outermost first.
    app_layers: Vec<Middleware>,
    /// Middleware on each of the app's routes, outermost first.
    route_layers: Vec<Middleware>,
    /// Where `/metrics` is served; `None`: metrics off.
    metrics: Option<String>,
    /// The databases whose pools `/metrics` reports, by name.
    pools: Vec<(String, crate::db::Database)>,
}

type ShutdownHook = Arc<dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = ()>>> + Send + Sync>;

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("info", &self.info)
            .field("router", &self.router)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// Default limit for request bodies read whole (JSON, forms): 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

impl App {
    /// A new app; `title` names it in the OpenAPI document and the docs pages.
    pub fn new(title: &str) -> Self {
        Self {
            info: ApiInfo {
                title: title.to_owned(),
                version: "0.1.0".to_owned(),
                description: None,
            },
            router: Router::new(),
            format: ErrorFormat::default(),
            handlers: Vec::new(),
            configurators: Vec::new(),
            mounts: Vec::new(),
            docs: Some(DocsConfig {
                title: title.to_owned(),
                ..DocsConfig::default()
            }),
            mount_prefix: String::new(),
            body_limit: DEFAULT_BODY_LIMIT,
            document: Arc::default(),
            states: Vec::new(),
            overrides: Overrides::default(),
            ready_checks: Default::default(),
            shutdown: Vec::new(),
            startup: Vec::new(),
            app_layers: Vec::new(),
            route_layers: Vec::new(),
            metrics: Some("/metrics".to_owned()),
            pools: Vec::new(),
        }
    }

    /// Sets the API version shown in the document.
    pub fn version(mut self, version: &str) -> Self {
        self.info.version = version.to_owned();
        self
    }

    /// Sets the API description (CommonMark).
    pub fn description(mut self, description: &str) -> Self {
        self.info.description = Some(description.to_owned());
        self
    }

    /// Includes a router's routes.
    pub fn include(mut self, router: Router) -> Self {
        self.router = self.router.include(router);
        self.document = Arc::default();
        self
    }

    /// Shares `state` with handlers, which take it as `web::Data<T>`.
    pub fn state<T: Send + Sync + 'static>(self, state: T) -> Self {
        self.state_data(web::Data::new(state))
    }

    /// Shares an existing `web::Data<T>` (already behind an `Arc`).
    pub fn state_data<T: Send + Sync + 'static>(mut self, data: web::Data<T>) -> Self {
        self.states.push(TypeId::of::<T>());
        if let Some(db) =
            (&data as &dyn std::any::Any).downcast_ref::<web::Data<crate::db::Database>>()
        {
            self.pools
                .push(("default".to_owned(), db.get_ref().clone()));
        }
        self.configurators.push(Arc::new(move |cfg| {
            cfg.app_data(data.clone());
        }));
        self
    }

    /// Chooses how framework errors are rendered (FastAPI's by default).
    pub fn error_format(mut self, format: ErrorFormat) -> Self {
        self.format = format;
        self.document = Arc::default();
        self
    }

    /// Limit for request bodies read whole (JSON, forms; default 1 MiB); a larger
    /// one is `413 {"detail": "Request body is larger than the limit of N bytes"}`.
    /// Streamed bodies (multipart uploads) have their own limits; for a hard limit on
    /// every body, per app or per router, see [`BodyLimit`](crate::middleware::BodyLimit).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Replaces the documentation pages' configuration; `None` serves no docs at all.
    pub fn docs(mut self, docs: Option<DocsConfig>) -> Self {
        self.docs = docs;
        self
    }

    /// Maps the error type `E`, wherever a handler returns it, to a response of your
    /// choosing (FastAPI's `@app.exception_handler`).
    ///
    /// ```
    /// use actix_web::{HttpResponse, ResponseError};
    /// use apiarist::App;
    ///
    /// #[derive(Debug, thiserror::Error)]
    /// #[error("only {available} left")]
    /// struct OutOfStock { available: u32 }
    /// impl ResponseError for OutOfStock {}
    ///
    /// let app = App::new("shop").exception_handler(|e: &OutOfStock| {
    ///     HttpResponse::Conflict().json(serde_json::json!({"error": "insufficient_stock", "detail": e.to_string()}))
    /// });
    /// # let _ = app;
    /// ```
    pub fn exception_handler<E, F>(mut self, handler: F) -> Self
    where
        E: ResponseError + 'static,
        F: Fn(&E) -> HttpResponse + Send + Sync + 'static,
    {
        self.handlers.push(Arc::new(move |err: &actix_web::Error| {
            err.as_error::<E>().map(&handler)
        }));
        self
    }

    /// Requires dependency `T` on every route of the app (not on `/healthz` and the
    /// docs): FastAPI's `FastAPI(dependencies=[...])`. See [`Router::depends`].
    pub fn depends<T: Provide>(mut self) -> Self {
        self.router = self.router.depends::<T>();
        self.document = Arc::default();
        self
    }

    /// Adds a database `GET /readyz` must find answering, under `name` (for apps
    /// that compose several services, each with its own database). Without any,
    /// `/readyz` checks the app's `Database` state, if it has one.
    pub fn ready_check(mut self, name: &str, db: crate::db::Database) -> Self {
        self.pools.push((name.to_owned(), db.clone()));
        let probe = crate::health::ReadinessChecks::database(db);
        self.ready_checks.0.push((name.to_owned(), probe));
        self
    }

    /// Adds any check `/readyz` must pass, under `name`: `Ok(what answered)` or
    /// `Err(why not)` (e.g. the job broker: `jobs.broker().ready()`).
    ///
    /// ```
    /// use apiarist::App;
    ///
    /// let app = App::new("svc").ready_probe("cache", || async { Ok("redis".to_owned()) });
    /// # let _ = app;
    /// ```
    pub fn ready_probe<F, Fut>(mut self, name: &str, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, String>> + 'static,
    {
        let probe: crate::health::Probe = Arc::new(move || Box::pin(probe()));
        self.ready_checks.0.push((name.to_owned(), probe));
        self
    }

    /// Runs `hook` after the server stopped (SIGTERM/SIGINT: no new connections,
    /// in-flight requests finished), before [`serve`](Self::serve) returns: drain a
    /// worker, close clients. Hooks run in the order they were added.
    ///
    /// ```no_run
    /// # use apiarist::{App, jobs::{MemoryBroker, Worker}};
    /// # use std::{sync::Arc, time::Duration};
    /// # actix_web::rt::System::new().block_on(async {
    /// let worker = Worker::new(Arc::new(MemoryBroker::new())).start();
    /// App::new("svc")
    ///     .on_shutdown(move || {
    ///         let worker = worker.clone();
    ///         async move { worker.shutdown(Duration::from_secs(30)).await }
    ///     })
    ///     .serve("127.0.0.1", 8000)
    ///     .await
    /// # });
    /// ```
    pub fn on_shutdown<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        self.shutdown.push(Arc::new(move || Box::pin(hook())));
        self
    }

    /// Replaces the provider of dependency `T` in this app, wherever it is needed
    /// (FastAPI's `app.dependency_overrides[...]`), typically with a fake in tests.
    ///
    /// ```
    /// use apiarist::{App, Provide};
    ///
    /// #[derive(Debug, Clone, PartialEq)]
    /// struct Clock(u64);
    ///
    /// impl Provide for Clock {
    ///     type Needs = ();
    ///     async fn provide(_: ()) -> Result<Self, actix_web::Error> {
    ///         Ok(Clock(std::time::UNIX_EPOCH.elapsed().unwrap().as_secs()))
    ///     }
    /// }
    ///
    /// let app = App::new("test").override_dependency(|_req| async { Ok(Clock(0)) });
    /// # let _ = app;
    /// ```
    pub fn override_dependency<T, F, Fut>(mut self, replacement: F) -> Self
    where
        T: Provide,
        F: Fn(HttpRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, actix_web::Error>> + 'static,
    {
        self.overrides.insert::<T, F, Fut>(replacement);
        self
    }

    /// Checks what can be checked before serving: every `State<T>` a route reads
    /// (directly or through dependencies) is registered. [`run`](Self::run),
    /// [`serve`](Self::serve), [`into_actix`](Self::into_actix) and the TestClient
    /// call it; the error names the route, the type and the dependency chain.
    pub fn check(&self) -> Result<(), String> {
        self.check_layers()?;
        for route in self.router.routes() {
            let mut docs = route.deps.clone();
            for guard in &route.guards {
                docs.merge(&guard.docs);
            }
            for (id, name, chain) in &docs.states {
                let routed = route.states.iter().any(|s| s.type_id == *id);
                if !self.states.contains(id) && !routed {
                    let through = if chain.is_empty() {
                        String::new()
                    } else {
                        format!(" (needed by {chain})")
                    };
                    return Err(format!(
                        "route {} {} reads app state `{name}`{through}, but the app has none: \
                         register it with App::state",
                        route.method, route.path
                    ));
                }
            }
        }
        for (_, app) in &self.mounts {
            app.check()?;
        }
        Ok(())
    }

    /// Mounts another app under `path` (FastAPI's `app.mount`): it keeps its own
    /// routes, state and documentation (served at `{path}/docs`, `{path}/openapi.json`).
    pub fn mount(mut self, path: &str, app: App) -> Self {
        self.mounts
            .push((path.trim_end_matches('/').to_owned(), app));
        self
    }

    /// The OpenAPI 3.1 document of this app's routes.
    pub fn openapi(&self) -> Value {
        serde_json::from_slice(self.document_bytes()).expect("the cached document is JSON")
    }

    fn document_bytes(&self) -> &web::Bytes {
        self.document.get_or_init(|| {
            let routes = self.all_routes();
            let doc = build_document(&self.info, &routes, self.format);
            web::Bytes::from(serde_json::to_vec(&doc).expect("document serialises"))
        })
    }

    fn all_routes(&self) -> Vec<RouteDef> {
        let mut routes = self.router.routes().to_vec();
        routes.extend(crate::health::router().routes().iter().cloned());
        self.wrap_routes(&mut routes);
        routes
    }

    /// Registers everything this app serves on an actix-web `ServiceConfig`: routes,
    /// `/openapi.json`, the docs pages, `/healthz`, state and mounted apps.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        for configure in &self.configurators {
            configure(cfg);
        }
        cfg.app_data(web::PayloadConfig::new(self.body_limit));
        cfg.app_data(BodyLimitInfo(self.body_limit));
        if !self.overrides.0.is_empty() {
            cfg.app_data(self.overrides.clone());
        }
        if !self.ready_checks.0.is_empty() {
            cfg.app_data(self.ready_checks.clone());
        }
        for (path, app) in &self.mounts {
            let mut app = app.clone();
            app.mount_prefix = format!("{}{path}", self.mount_prefix);
            cfg.service(web::scope(path).configure(move |c| app.configure(c)));
        }
        let metrics = self.metrics.as_ref().map(|_| self.mount_prefix.as_str());
        register::register_routes(cfg, &self.all_routes(), metrics);
        if let Some(path) = self
            .metrics
            .as_ref()
            .filter(|_| self.mount_prefix.is_empty())
        {
            crate::metrics::configure(cfg, path, self.pools.clone());
        }
        if let Some(docs) = &self.docs {
            let document = self.document_bytes().clone();
            cfg.route(
                &docs.openapi_url,
                web::get().to(move || {
                    let document = document.clone();
                    async move {
                        HttpResponse::Ok()
                            .content_type("application/json")
                            .body(document)
                    }
                }),
            );
            let mut pages = docs.clone();
            pages.openapi_url = format!("{}{}", self.mount_prefix, docs.openapi_url);
            crate::openapi::ui::configure_under(cfg, &pages, &self.mount_prefix);
        }
    }

    /// Builds the actix-web application with the framework's middleware and JSON 404s.
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
        if let Err(problem) = self.check() {
            panic!("{problem}");
        }
        let core = Core::new(CoreConfig {
            format: self.format,
            handlers: self.handlers.clone(),
            metrics: self.metrics.is_some(),
        });
        let layers = AppStack(self.app_layers.clone().into());
        actix_web::App::new()
            .configure(|cfg| self.configure(cfg))
            .default_service(web::to(register::not_found))
            .wrap(layers)
            .wrap(core)
    }
}
