//! The `worker` crate's process, built in this package so the tests can find it
//! through `CARGO_BIN_EXE_orders-worker` (cargo gives integration tests the paths of
//! their own package's binaries only).

fn main() -> std::io::Result<()> {
    worker::run()
}
