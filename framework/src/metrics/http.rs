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
    method: MethodLabel,
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

    /// Counts a request in flight, until [`leave`](Self::leave).
    pub(crate) fn enter(&self) {
        self.0.fetch_add(1, Relaxed);
    }

    /// Counts a request in flight no more.
    pub(crate) fn leave(&self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

fn in_flight() -> i64 {
    let counters = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
    counters.iter().map(|c| c.load(Relaxed)).sum()
}

/// The method as a label: the standard ones by name, anything else `OTHER` (so a
/// client inventing methods cannot create series). One byte, compared as one: the
/// core layer keeps it for every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct MethodLabel(u8);

impl MethodLabel {
    const NAMES: [&'static str; 10] = [
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "OTHER",
    ];

    pub(crate) fn of(method: &Method) -> Self {
        Self(match *method {
            Method::GET => 0,
            Method::POST => 1,
            Method::PUT => 2,
            Method::PATCH => 3,
            Method::DELETE => 4,
            Method::HEAD => 5,
            Method::OPTIONS => 6,
            Method::TRACE => 7,
            Method::CONNECT => 8,
            _ => 9,
        })
    }

    pub(crate) fn as_str(self) -> &'static str {
        Self::NAMES[usize::from(self.0)]
    }
}

/// One route's series handles, cached by one worker (the route's app data).
#[derive(Debug)]
pub(crate) struct RouteMetrics {
    route: Arc<str>,
    seen: RefCell<Vec<(MethodLabel, u16, Arc<Histogram>)>>,
}

impl RouteMetrics {
    pub(crate) fn new(route: &str) -> Self {
        Self {
            route: route.into(),
            seen: RefCell::default(),
        }
    }

    fn observe(&self, method: MethodLabel, status: u16, elapsed: Duration) {
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

fn series(method: MethodLabel, route: Arc<str>, status: u16) -> Arc<Sharded> {
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
    method: MethodLabel,
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
        (&a.route, a.method.as_str(), a.status).cmp(&(&b.route, b.method.as_str(), b.status))
    });
    let labelled: Vec<(String, Arc<Sharded>)> = series
        .into_iter()
        .map(|(key, histogram)| {
            let mut labels = String::new();
            label(&mut labels, "method", key.method.as_str());
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
