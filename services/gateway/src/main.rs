//! `cargo run`: the demo stack on `HOST:PORT` (default 127.0.0.1:8000), data in
//! `DATABASE_URL` (default: SQLite files next to the process).

fn main() -> std::io::Result<()> {
    apiarist::App::run_with(gateway::start)
}
