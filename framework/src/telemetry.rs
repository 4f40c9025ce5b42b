//! Structured logs through `tracing-subscriber`.
//!
//! Human-readable lines by default, one JSON object per line with `LOG_FORMAT=json`
//! (what log shippers want in production); the level comes from `RUST_LOG`
//! (default `info`, with sqlx's per-query logs turned down to `warn`).

use tracing_subscriber::{EnvFilter, fmt};

/// The filter used when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn";

/// Installs the global subscriber once; later calls (and tests) are no-ops.
///
/// ```
/// apiarist::telemetry::init();
/// tracing::info!("logging is set up");
/// ```
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let result = if json {
        fmt()
            .json()
            .with_env_filter(filter)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        fmt().with_env_filter(filter).compact().try_init()
    };
    // Already installed (e.g. by a test harness or an embedding program): keep it.
    let _ = result;
}
