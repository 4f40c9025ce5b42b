//! Runs the items service on `HOST:PORT` (default 127.0.0.1:8002); its
//! configuration is [`items::Config`] (environment variables only).

fn main() -> std::io::Result<()> {
    apiarist::App::run_with_port(items::DEFAULT_PORT, || async {
        items::build(items::Config::from_env()?).await
    })
}
