//! Runs the items service on `HOST:PORT` (default 127.0.0.1:8000).

fn main() -> std::io::Result<()> {
    items::app().run()
}
