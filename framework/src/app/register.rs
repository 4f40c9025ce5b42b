//! Registering routes on actix-web: resources per path, JSON 404/405, guards.

use std::sync::Arc;

use actix_web::{
    HttpRequest, HttpResponse,
    body::BoxBody,
    dev::ServiceRequest,
    http::{Method, header},
    web,
};
use serde_json::json;

use crate::{
    metrics::http::RouteMetrics,
    middleware::{Middleware, Stack},
    routing::{Guard, RouteDef},
};

/// Groups routes by path into resources; answers 405 JSON (with `Allow`) for a known
/// path with another method, and serves `/items` as well as `/items/`. With
/// `metrics` (the mount prefix), each resource carries its route's metric handles.
pub(super) fn register_routes(
    cfg: &mut web::ServiceConfig,
    routes: &[RouteDef],
    metrics: Option<&str>,
) {
    let mut paths: Vec<&str> = Vec::new();
    for route in routes {
        if !paths.contains(&route.path.as_str()) {
            paths.push(&route.path);
        }
    }
    for path in &paths {
        let same_path: Vec<&RouteDef> = routes.iter().filter(|r| r.path == *path).collect();
        let allowed: Vec<Method> = same_path.iter().map(|r| r.method.clone()).collect();
        let mut patterns = vec![(*path).to_owned()];
        if let Some(bare) = path.strip_suffix('/')
            && !bare.is_empty()
            && !paths.contains(&bare)
        {
            patterns.push(bare.to_owned());
        }
        let mut resource = web::resource(patterns);
        if let Some(prefix) = metrics {
            resource = resource.app_data(RouteMetrics::new(&format!("{prefix}{path}")));
        }
        let mut attached = Vec::new();
        for state in same_path.iter().flat_map(|r| &r.states) {
            if !attached.contains(&state.type_id) {
                attached.push(state.type_id);
                resource = (state.attach)(resource);
            }
        }
        for route in &same_path {
            let guarded = with_guards((route.factory)(), &route.guards);
            resource = resource.route(with_layers(guarded, &route.layers));
        }
        let allow = allowed
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        let not_allowed = move || {
            let allow = allow.clone();
            async move {
                HttpResponse::MethodNotAllowed()
                    .insert_header((header::ALLOW, allow))
                    .json(json!({"detail": "Method Not Allowed"}))
            }
        };
        // A router's CORS answers preflights: they are OPTIONS requests, which reach
        // its routes only through a route of their own, wrapped from the CORS layer
        // inwards (a preflight carries no credentials for the layers outside it).
        let preflight = same_path
            .iter()
            .find_map(|r| Some(&r.layers[r.layers.iter().position(|l| l.preflight)?..]))
            .filter(|_| !allowed.contains(&Method::OPTIONS));
        if let Some(layers) = preflight {
            let options = crate::routing::method_route(Method::OPTIONS).to(not_allowed.clone());
            resource = resource.route(with_layers(options, layers));
        }
        resource = resource.default_service(web::to(not_allowed));
        cfg.service(resource);
    }
}

/// Wraps a route in its routers' middleware (outside their dependencies).
fn with_layers(route: actix_web::Route, layers: &[Middleware]) -> actix_web::Route {
    if layers.is_empty() {
        return route;
    }
    route.wrap(Stack(layers.into()))
}

/// Resolves the router- and app-level dependencies before the handler runs.
fn with_guards(route: actix_web::Route, guards: &[Guard]) -> actix_web::Route {
    if guards.is_empty() {
        return route;
    }
    let guards: Arc<[Guard]> = guards.into();
    route.wrap(actix_web::middleware::from_fn(
        move |req: ServiceRequest, next: actix_web::middleware::Next<BoxBody>| {
            let guards = guards.clone();
            async move {
                for guard in guards.iter() {
                    if let Err(err) = (guard.run)(req.request()).await {
                        return Ok(req.error_response(err));
                    }
                }
                next.call(req).await
            }
        },
    ))
}

pub(super) async fn not_found(_req: HttpRequest) -> HttpResponse {
    HttpResponse::NotFound().json(json!({"detail": "Not Found"}))
}
