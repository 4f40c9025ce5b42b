//! Runs the items service on `HOST:PORT` (default 127.0.0.1:8000), its data in
//! `DATABASE_URL` (default: the SQLite file `items.db`).

fn main() -> std::io::Result<()> {
    apiarist::App::run_with(|| async { items::database().map(items::app) })
}
