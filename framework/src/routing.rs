//! Routers: where a route is declared once and thereby documented.
//!
//! A [`Router`] collects routes under a prefix with shared tags, and may include other
//! routers (FastAPI's `APIRouter` / `include_router`). Registering a handler records two
//! things at once: a factory for the actix-web route, and the OpenAPI operation that
//! apistos' `#[api_operation]` generated from the handler's signature and doc comment.
//! There is no way to add a route that skips the second half, which is what keeps the
//! document complete.
//!
//! Routes are kept as factories (not built actix routes) because actix-web builds the
//! app once per worker thread: the same [`Router`] must be able to produce its services
//! many times.

use std::{any::TypeId, collections::BTreeMap, future::Future, pin::Pin, sync::Arc};

use actix_web::{FromRequest, Handler, HttpRequest, Responder, http::Method};
use apistos::{
    ApiComponent, OpenApiVersion, PathItemDefinition,
    components::Components,
    paths::{Operation, OperationType, Parameter},
    security::SecurityScheme,
};

use crate::{
    di::{Dep, DependencyDocs, Provide, collect},
    middleware::Middleware,
};

/// Builds a fresh actix-web route (one per worker).
pub(crate) type RouteFactory = Arc<dyn Fn() -> actix_web::Route + Send + Sync>;

type GuardFuture = Pin<Box<dyn Future<Output = Result<(), actix_web::Error>>>>;

/// State attached to a router's routes: its type, and how to add it to a resource.
#[derive(Clone)]
pub(crate) struct RouteState {
    pub(crate) type_id: TypeId,
    pub(crate) attach: Arc<dyn Fn(actix_web::Resource) -> actix_web::Resource + Send + Sync>,
}

/// A dependency required by a router or app for each of its routes.
#[derive(Clone)]
pub(crate) struct Guard {
    pub(crate) run: Arc<dyn Fn(&HttpRequest) -> GuardFuture + Send + Sync>,
    pub(crate) parameters: Vec<Parameter>,
    pub(crate) securities: BTreeMap<String, SecurityScheme>,
    pub(crate) security_name: Option<String>,
    pub(crate) docs: DependencyDocs,
}

impl Guard {
    pub(crate) fn of<T: Provide>() -> Self {
        let (parameters, docs) =
            collect(|| <Dep<T> as ApiComponent>::parameters(OpenApiVersion::OAS3_1, None));
        Self {
            run: Arc::new(|req| {
                let req = req.clone();
                Box::pin(async move { crate::di::resolve::<T>(&req).await.map(drop) })
            }),
            parameters,
            securities: <Dep<T> as ApiComponent>::securities(),
            security_name: <Dep<T> as ApiComponent>::security_requirement_name(),
            docs,
        }
    }
}

/// An actix-web route answering `method` only.
///
/// actix-web's own method guard (`web::get()`, `web::method`) also records every
/// method it was asked about in the request's extensions, for actix-web's default
/// 405 page: allocations on every request. The framework answers 405 itself, from
/// the routes it registered, so its routes check the method and nothing else.
pub(crate) fn method_route(method: Method) -> actix_web::Route {
    actix_web::web::route().guard(MethodIs(method))
}

/// The guard of [`method_route`].
struct MethodIs(Method);

impl actix_web::guard::Guard for MethodIs {
    fn check(&self, ctx: &actix_web::guard::GuardContext<'_>) -> bool {
        ctx.head().method == self.0
    }
}

/// One declared route: method, path, handler factory and its documentation.
#[derive(Clone)]
pub(crate) struct RouteDef {
    pub(crate) method: Method,
    /// Full path pattern, prefixes included, as actix-web understands it.
    pub(crate) path: String,
    pub(crate) factory: RouteFactory,
    pub(crate) operation: Option<Operation>,
    pub(crate) components: Vec<Components>,
    /// Name of the handler function, the default operation id.
    pub(crate) handler_name: &'static str,
    pub(crate) tags: Vec<String>,
    /// What the handler's own dependencies add to its documentation and checks.
    pub(crate) deps: DependencyDocs,
    /// Dependencies required by the routers (and app) the route belongs to,
    /// outermost first.
    pub(crate) guards: Vec<Guard>,
    /// State of the routers the route belongs to (innermost first, so it wins).
    pub(crate) states: Vec<RouteState>,
    /// Middleware of the routers (and app) the route belongs to, outermost first.
    pub(crate) layers: Vec<Middleware>,
}

impl std::fmt::Debug for RouteDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteDef")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("handler", &self.handler_name)
            .finish_non_exhaustive()
    }
}

/// A group of routes with a common prefix and tags.
///
/// Handlers are ordinary async functions whose arguments are extractors; annotate them
/// with `#[api_operation]` so their doc comment and types land in the OpenAPI document.
///
/// ```
/// use apiarist::{Router, prelude::*};
///
/// /// Say hello.
/// #[api_operation(summary = "Say hello")]
/// async fn hello() -> Json<String> {
///     Json("hello".to_owned())
/// }
///
/// let api = Router::new()
///     .get("/hello", hello)
///     .include(Router::with_prefix("/v2").tag("v2").get("/hello", hello));
/// assert_eq!(api.paths(), vec!["/hello", "/v2/hello"]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Router {
    prefix: String,
    tags: Vec<String>,
    guards: Vec<Guard>,
    states: Vec<RouteState>,
    layers: Vec<Middleware>,
    routes: Vec<RouteDef>,
}

impl std::fmt::Debug for RouteState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteState")
            .field("type_id", &self.type_id)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("docs", &self.docs)
            .finish_non_exhaustive()
    }
}

macro_rules! method_fn {
    ($(#[$doc:meta])* $name:ident, $method:ident) => {
        $(#[$doc])*
        pub fn $name<F, Args>(self, path: &str, handler: F) -> Self
        where
            F: Handler<Args> + Send + Sync,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
            F::Future: PathItemDefinition,
        {
            self.route(Method::$method, path, handler)
        }
    };
}

impl Router {
    /// An empty router at the root.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty router whose routes all start with `prefix` (e.g. `"/items"`).
    pub fn with_prefix(prefix: &str) -> Self {
        Self {
            prefix: normalize_prefix(prefix),
            ..Self::default()
        }
    }

    /// Requires dependency `T` on every route of this router, those added before and
    /// after (FastAPI's `APIRouter(dependencies=[Depends(...)])`): it is resolved
    /// before the handler, which does not need to name it, and its failure (401,
    /// 403, ...) answers the request. Its parameters, security and statuses are
    /// documented on each route.
    ///
    /// ```
    /// use apiarist::{HttpError, Provide, prelude::*};
    ///
    /// #[derive(Debug, Clone)]
    /// struct RequireAdmin;
    ///
    /// impl Provide for RequireAdmin {
    ///     type Needs = ();
    ///     const ERRORS: &'static [u16] = &[403];
    ///     async fn provide(_: ()) -> Result<Self, actix_web::Error> {
    ///         Err(HttpError::forbidden("Admins only").into())
    ///     }
    /// }
    ///
    /// /// Statistics.
    /// #[api_operation(summary = "Stats")]
    /// async fn stats() -> Json<u32> { Json(0) }
    ///
    /// let admin = Router::with_prefix("/admin").depends::<RequireAdmin>().get("/stats", stats);
    /// # let _ = admin;
    /// ```
    pub fn depends<T: Provide>(mut self) -> Self {
        let guard = Guard::of::<T>();
        for route in &mut self.routes {
            route.guards.push(guard.clone());
        }
        self.guards.push(guard);
        self
    }

    /// Shares `state` with the handlers and dependencies of this router's routes, those
    /// added before and after, as `State<T>` (or `web::Data<T>`). It takes precedence
    /// over app state of the same type, so two services composed into one app can each
    /// bring their own `Database`.
    ///
    /// ```
    /// use apiarist::{State, prelude::*};
    ///
    /// #[derive(Debug)]
    /// struct Greeting(&'static str);
    ///
    /// /// Greet.
    /// #[api_operation(summary = "Greet")]
    /// async fn greet(greeting: State<Greeting>) -> Json<&'static str> {
    ///     Json(greeting.0)
    /// }
    ///
    /// let en = Router::with_prefix("/en").state(Greeting("hello")).get("/", greet);
    /// let fr = Router::with_prefix("/fr").state(Greeting("bonjour")).get("/", greet);
    /// App::new("greeter").include(en).include(fr).check().unwrap();
    /// ```
    pub fn state<T: Send + Sync + 'static>(self, state: T) -> Self {
        self.state_data(actix_web::web::Data::new(state))
    }

    /// Like [`state`](Self::state), for an existing `web::Data<T>`.
    pub fn state_data<T: Send + Sync + 'static>(mut self, data: actix_web::web::Data<T>) -> Self {
        let state = RouteState {
            type_id: TypeId::of::<T>(),
            attach: Arc::new(move |resource| resource.app_data(data.clone())),
        };
        for route in &mut self.routes {
            route.states.push(state.clone());
        }
        self.states.push(state);
        self
    }

    /// Wraps every route of this router, those added before and after, in
    /// `middleware` (see [`middleware`](crate::middleware) for the kinds and their
    /// order): the first added is the outermost, and this router's wrap those of the
    /// routers it includes. Statuses it can answer with (413, 429, 504) are
    /// documented on each route.
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiarist::{Router, middleware::{BodyLimit, Timeout}, prelude::*};
    ///
    /// /// Upload a report.
    /// #[api_operation(summary = "Upload")]
    /// async fn upload() -> NoContent { NoContent }
    ///
    /// let reports = Router::with_prefix("/reports")
    ///     .middleware(BodyLimit::new(20 << 20))
    ///     .middleware(Timeout::new(Duration::from_secs(120)))
    ///     .post("/", upload);
    /// # let _ = reports;
    /// ```
    pub fn middleware(mut self, middleware: impl Into<Middleware>) -> Self {
        let middleware = middleware.into();
        // This router's layers are a prefix of each of its routes' lists.
        let at = self.layers.len();
        for route in &mut self.routes {
            add_layer(route, at, &middleware);
        }
        self.states.extend(middleware.states.iter().cloned());
        self.layers.push(middleware);
        self
    }

    /// Gives the route just pushed this router's middleware.
    fn wrap_last(&mut self) {
        if let Some(route) = self.routes.last_mut() {
            for (at, layer) in self.layers.iter().enumerate() {
                add_layer(route, at, layer);
            }
        }
    }

    /// Adds a tag to every route of this router (and of routers it includes later).
    pub fn tag(mut self, tag: &str) -> Self {
        self.tags.push(tag.to_owned());
        for route in &mut self.routes {
            route.tags.push(tag.to_owned());
        }
        self
    }

    /// Registers `handler` for `method` at `path` (relative to the prefix).
    pub fn route<F, Args>(mut self, method: Method, path: &str, handler: F) -> Self
    where
        F: Handler<Args> + Send + Sync,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
        F::Future: PathItemDefinition,
    {
        let ((operation, components), deps) = collect(|| {
            if F::Future::is_visible() {
                (
                    Some(F::Future::operation(OpenApiVersion::OAS3_1)),
                    F::Future::components(OpenApiVersion::OAS3_1),
                )
            } else {
                (None, Vec::new())
            }
        });
        let route_method = method.clone();
        self.routes.push(RouteDef {
            method,
            path: join_path(&self.prefix, path),
            factory: Arc::new(move || method_route(route_method.clone()).to(handler.clone())),
            operation,
            components,
            handler_name: short_type_name::<F>(),
            tags: self.tags.clone(),
            deps,
            guards: self.guards.clone(),
            states: self.states.clone(),
            layers: Vec::new(),
        });
        self.wrap_last();
        self
    }

    /// Registers a route that is served but not documented (static files), with
    /// this router's prefix, tags, dependencies and state like any other.
    pub(crate) fn undocumented(
        mut self,
        method: Method,
        path: &str,
        name: &'static str,
        factory: RouteFactory,
    ) -> Self {
        self.routes.push(RouteDef {
            method,
            path: join_path(&self.prefix, path),
            factory,
            operation: None,
            components: Vec::new(),
            handler_name: name,
            tags: self.tags.clone(),
            deps: DependencyDocs::default(),
            guards: self.guards.clone(),
            states: self.states.clone(),
            layers: Vec::new(),
        });
        self.wrap_last();
        self
    }

    method_fn!(
        /// Registers a `GET` route.
        get, GET
    );
    method_fn!(
        /// Registers a `POST` route.
        post, POST
    );
    method_fn!(
        /// Registers a `PUT` route.
        put, PUT
    );
    method_fn!(
        /// Registers a `PATCH` route.
        patch, PATCH
    );
    method_fn!(
        /// Registers a `DELETE` route.
        delete, DELETE
    );

    /// Includes every route of `other` under this router's prefix and tags.
    pub fn include(mut self, other: Router) -> Self {
        for mut route in other.routes {
            route.path = join_path(&self.prefix, &route.path);
            let mut tags = self.tags.clone();
            tags.append(&mut route.tags);
            route.tags = tags;
            let mut guards = self.guards.clone();
            guards.append(&mut route.guards);
            route.guards = guards;
            route.states.extend(self.states.iter().cloned());
            let mut layers = self.layers.clone();
            layers.append(&mut route.layers);
            route.layers = layers;
            for layer in &self.layers {
                for status in layer.statuses {
                    if !route.deps.statuses.contains(status) {
                        route.deps.statuses.push(*status);
                    }
                }
            }
            self.routes.push(route);
        }
        self
    }

    /// The full paths of the routes, in registration order (duplicates removed).
    pub fn paths(&self) -> Vec<&str> {
        let mut paths: Vec<&str> = Vec::new();
        for r in &self.routes {
            if !paths.contains(&r.path.as_str()) {
                paths.push(&r.path);
            }
        }
        paths
    }

    pub(crate) fn routes(&self) -> &[RouteDef] {
        &self.routes
    }
}

/// Puts `layer` at position `at` of the route's middleware and documents its
/// statuses there.
pub(crate) fn add_layer(route: &mut RouteDef, at: usize, layer: &Middleware) {
    route
        .layers
        .insert(at.min(route.layers.len()), layer.clone());
    for status in layer.statuses {
        if !route.deps.statuses.contains(status) {
            route.deps.statuses.push(*status);
        }
    }
    for state in &layer.states {
        if !route.states.iter().any(|s| s.type_id == state.type_id) {
            route.states.push(state.clone());
        }
    }
}

/// Maps an HTTP method to the OpenAPI operation slot.
pub(crate) fn operation_type(method: &Method) -> Option<OperationType> {
    Some(match *method {
        Method::GET => OperationType::Get,
        Method::POST => OperationType::Post,
        Method::PUT => OperationType::Put,
        Method::PATCH => OperationType::Patch,
        Method::DELETE => OperationType::Delete,
        Method::HEAD => OperationType::Head,
        Method::OPTIONS => OperationType::Options,
        Method::TRACE => OperationType::Trace,
        _ => return None,
    })
}

fn normalize_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim_end_matches('/');
    if trimmed.is_empty() || trimmed.starts_with('/') {
        trimmed.to_owned()
    } else {
        format!("/{trimmed}")
    }
}

fn join_path(prefix: &str, path: &str) -> String {
    let prefix = normalize_prefix(prefix);
    match (prefix.is_empty(), path) {
        (true, "") => "/".to_owned(),
        (true, p) if p.starts_with('/') => p.to_owned(),
        (true, p) => format!("/{p}"),
        (false, "") => prefix,
        (false, p) if p.starts_with('/') => format!("{prefix}{p}"),
        (false, p) => format!("{prefix}/{p}"),
    }
}

/// `my_crate::routes::create_item` -> `create_item`. The `#[api_operation]` macro
/// replaces the function by a unit struct of the same name, so the type name is the
/// handler's name.
fn short_type_name<F>() -> &'static str {
    let full = std::any::type_name::<F>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_prefixes_like_fastapi() {
        assert_eq!(join_path("", "/"), "/");
        assert_eq!(join_path("/items", "/"), "/items/");
        assert_eq!(join_path("/items/", "/{id}"), "/items/{id}");
        assert_eq!(join_path("items", ""), "/items");
        assert_eq!(join_path("/a", "b"), "/a/b");
    }
}
