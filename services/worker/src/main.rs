//! The standalone worker process: the orders service's jobs, outside the gateway.
//! Configuration: see the crate docs of the `worker` library.

fn main() -> std::io::Result<()> {
    worker::run()
}
