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

use crate::routing::{Guard, RouteDef};

/// Groups routes by path into resources; answers 405 JSON (with `Allow`) for a known
/// path with another method, and serves `/items` as well as `/items/`.
pub(super) fn register_routes(cfg: &mut web::ServiceConfig, routes: &[RouteDef]) {
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
        let mut attached = Vec::new();
        for state in same_path.iter().flat_map(|r| &r.states) {
            if !attached.contains(&state.type_id) {
                attached.push(state.type_id);
                resource = (state.attach)(resource);
            }
        }
        for route in same_path {
            resource = resource.route(with_guards((route.factory)(), &route.guards));
        }
        let allow = allowed
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        resource = resource.default_service(web::to(move || {
            let allow = allow.clone();
            async move {
                HttpResponse::MethodNotAllowed()
                    .insert_header((header::ALLOW, allow))
                    .json(json!({"detail": "Method Not Allowed"}))
            }
        }));
        cfg.service(resource);
    }
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
