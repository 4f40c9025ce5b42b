//! Runs the orders service on `HOST:PORT` (default 127.0.0.1:8003); its
//! configuration is [`orders::Config`] (environment variables only).

fn main() -> std::io::Result<()> {
    apiarist::App::run_with_port(orders::DEFAULT_PORT, || async {
        orders::build(orders::Config::from_env()?).await
    })
}
