//! An app's middleware and metrics switches.

use std::sync::Arc;

use super::App;
use crate::{
    middleware::{Middleware, Placement},
    routing::{RouteDef, add_layer},
};

impl App {
    /// Adds `middleware` to the app (see [`middleware`](crate::middleware) for the
    /// kinds, where each runs and their order): the first added is the outermost.
    /// A misconfigured one ([`Cors`](crate::middleware::Cors) with a wildcard origin
    /// and credentials, ...) stops start-up with a message saying what is wrong.
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiarist::{App, middleware::{Compression, Cors, Timeout}};
    ///
    /// let app = App::new("svc")
    ///     .middleware(Cors::new().allow_origin("https://app.example.com"))
    ///     .middleware(Compression::default())
    ///     .middleware(Timeout::new(Duration::from_secs(30)));
    /// app.check().unwrap();
    /// ```
    pub fn middleware(mut self, middleware: impl Into<Middleware>) -> Self {
        let middleware = middleware.into();
        match middleware.placement {
            Placement::AroundApp => self.app_layers.push(middleware),
            Placement::PerRoute => self.route_layers.push(middleware),
        }
        self.document = Arc::default();
        self
    }

    /// Serves Prometheus metrics at `/metrics` and records them (the default), or
    /// not. See [`metrics`](crate::metrics) for what is measured.
    ///
    /// ```
    /// let app = apiarist::App::new("svc").metrics(false);
    /// # let _ = app;
    /// ```
    pub fn metrics(mut self, enabled: bool) -> Self {
        self.metrics =
            enabled.then(|| self.metrics.take().unwrap_or_else(|| "/metrics".to_owned()));
        self
    }

    /// Serves the metrics at `path` instead of `/metrics` (and turns them on).
    ///
    /// ```
    /// let app = apiarist::App::new("svc").metrics_path("/internal/metrics");
    /// # let _ = app;
    /// ```
    pub fn metrics_path(mut self, path: &str) -> Self {
        self.metrics = Some(path.to_owned());
        self
    }

    /// The first configuration problem of the app's and its routes' middleware.
    pub(super) fn check_layers(&self) -> Result<(), String> {
        let routed = self.router.routes().iter().flat_map(|r| &r.layers);
        let all = self
            .app_layers
            .iter()
            .chain(&self.route_layers)
            .chain(routed);
        match all.filter_map(|m| m.problem.as_ref()).next() {
            Some(problem) => Err(problem.clone()),
            None => Ok(()),
        }
    }

    /// Gives each route the app's per-route middleware, outside its routers' own.
    pub(super) fn wrap_routes(&self, routes: &mut [RouteDef]) {
        for route in routes {
            for (at, layer) in self.route_layers.iter().enumerate() {
                add_layer(route, at, layer);
            }
        }
    }
}
