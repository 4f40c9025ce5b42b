//! `cargo run`: the demo stack's gateway on `HOST:PORT` (default 127.0.0.1:8000).
//!
//! With none of `USERS_URL`, `ITEMS_URL`, `ORDERS_URL` set it runs the services
//! itself, in this process (all-in-one); otherwise it forwards to them. See the
//! library's docs for every variable.

fn main() -> std::io::Result<()> {
    apiarist::telemetry::init();
    let settings = gateway::Settings::from_env().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2);
    });
    actix_web::rt::System::new().block_on(gateway::run(settings))
}
