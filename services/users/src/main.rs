//! Runs the users service on `HOST:PORT` (default 127.0.0.1:8001); its
//! configuration is [`users::Config`] (environment variables only), logs follow
//! `RUST_LOG` / `LOG_FORMAT`.

fn main() -> std::io::Result<()> {
    apiarist::App::run_with_port(users::DEFAULT_PORT, || async {
        users::build(users::Config::from_env()?).await
    })
}
