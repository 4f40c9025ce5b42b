//! Request metrics: count and latency by method, route template and status, and the
//! requests in flight.
//!
//! The route label is the template the route was declared with (`/items/{item_id}`),
//! never the raw path, so the number of series stays bounded. Each route's resource
//! carries a [`RouteMetrics`] (app data, one per worker) that caches the handles it
//! has used, on histograms of its own: recording a request is a small scan and two
//! atomic additions on memory no other core writes, without a lock or an allocation.
//! The in-flight gauge is one counter per worker too. Routes the framework did not
//! declare (the docs pages)
//! fall back to a lookup by their pattern; unknown paths are `<unmatched>`, and a
//! request whose handler panicked is `<unknown>`.

use std::{
    cell::RefCell,
    sync::{
        Arc, LazyLock, Mutex,
        atomic::{AtomicI64, Ordering::Relaxed},
    },
    time::Duration,
};

use actix_web::{
    HttpRequest,
    http::{Method, StatusCode},
};

use super::registry::{Family, Histogram, REQUEST_BUCKETS, Sharded, header, label};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    method: &'static str,
    route: Arc<str>,
    status: u16,
}

static REQUESTS: LazyLock<Family<Key, Sharded>> = LazyLock::new(Family::new);
/// One in-flight counter per worker (per built app), summed when rendered.
static IN_FLIGHT: Mutex<Vec<Arc<AtomicI64>>> = Mutex::new(Vec::new());

/// A worker's count of requests in flight.
#[derive(Debug, Clone)]
pub(crate) struct InFlightCounter(Arc<AtomicI64>);

impl InFlightCounter {
    pub(crate) fn register() -> Self {
        let counter = Arc::new(AtomicI64::new(0));
        IN_FLIGHT
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(counter.clone());
        Self(counter)
    }

    /// Counts a request in flight for as long as the guard lives.
    pub(crate) fn enter(&self) -> InFlight {
        self.0.fetch_add(1, Relaxed);
        InFlight(self.0.clone())
    }
}

/// A request in flight.
#[derive(Debug)]
pub(crate) struct InFlight(Arc<AtomicI64>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

fn in_flight() -> i64 {
    let counters = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
    counters.iter().map(|c| c.load(Relaxed)).sum()
}

/// The method as a label: the standard ones by name, anything else `OTHER` (so a
/// client inventing methods cannot create series).
pub(crate) fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "OTHER",
    }
}

/// One route's series handles, cached by one worker (the route's app data).
#[derive(Debug)]
pub(crate) struct RouteMetrics {
    route: Arc<str>,
    seen: RefCell<Vec<(&'static str, u16, Arc<Histogram>)>>,
}

impl RouteMetrics {
    pub(crate) fn new(route: &str) -> Self {
        Self {
            route: route.into(),
            seen: RefCell::default(),
        }
    }

    fn observe(&self, method: &'static str, status: u16, elapsed: Duration) {
        let seen = self.seen.borrow();
        if let Some((.., histogram)) = seen.iter().find(|(m, s, _)| *s == status && *m == method) {
            histogram.observe(elapsed);
            return;
        }
        drop(seen);
        let histogram = series(method, self.route.clone(), status).shard();
        histogram.observe(elapsed);
        self.seen.borrow_mut().push((method, status, histogram));
    }
}

fn series(method: &'static str, route: Arc<str>, status: u16) -> Arc<Sharded> {
    let key = Key {
        method,
        route,
        status,
    };
    REQUESTS.get_or_insert(key, || Sharded::new(REQUEST_BUCKETS))
}

/// Records one answered request. `req` is `None` when the request did not survive
/// its handling (a panic).
pub(crate) fn observe(
    req: Option<&HttpRequest>,
    method: &'static str,
    status: StatusCode,
    elapsed: Duration,
) {
    let status = status.as_u16();
    if let Some(route) = req.and_then(|r| r.app_data::<RouteMetrics>()) {
        return route.observe(method, status, elapsed);
    }
    let route: Arc<str> = match req {
        Some(req) => req
            .match_pattern()
            .map_or_else(|| "<unmatched>".into(), Into::into),
        None => "<unknown>".into(),
    };
    series(method, route, status).shared().observe(elapsed);
}

/// Writes the request metrics.
pub(crate) fn render(out: &mut String) {
    let mut series = REQUESTS.snapshot();
    series.sort_by(|(a, _), (b, _)| {
        (&a.route, a.method, a.status).cmp(&(&b.route, b.method, b.status))
    });
    let labelled: Vec<(String, Arc<Sharded>)> = series
        .into_iter()
        .map(|(key, histogram)| {
            let mut labels = String::new();
            label(&mut labels, "method", key.method);
            label(&mut labels, "route", &key.route);
            label(&mut labels, "status", &key.status.to_string());
            (labels, histogram)
        })
        .collect();
    header(
        out,
        "http_requests_total",
        "counter",
        "Requests answered, by method, route template and status.",
    );
    for (labels, histogram) in &labelled {
        out.push_str(&format!(
            "http_requests_total{{{labels}}} {}\n",
            histogram.count()
        ));
    }
    header(
        out,
        "http_request_duration_seconds",
        "histogram",
        "Time to answer a request (to its response head), by method, route template and status.",
    );
    for (labels, histogram) in &labelled {
        histogram.write(out, "http_request_duration_seconds", labels);
    }
    header(
        out,
        "http_requests_in_flight",
        "gauge",
        "Requests being handled now.",
    );
    out.push_str(&format!("http_requests_in_flight {}\n", in_flight()));
}
