//! The gateway binary as `cargo run` (or a container) runs it, in a directory of
//! its own, with its log kept for assertions and failure messages.

use std::{
    fs::File,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// The gateway binary on `port`, in `dir` (its SQLite files and its log go there),
/// with `env` on top of a bare environment; killed if the test ends without
/// stopping it.
pub struct Binary {
    child: Child,
    log: std::path::PathBuf,
}

impl Binary {
    pub fn start(dir: &Path, port: u16, env: &[(&str, String)]) -> Self {
        let log = dir.join("gateway.log");
        let out = File::create(&log).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_gateway"));
        command
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        // `cargo run` on a bare machine: nothing but where to listen and an admin.
        for variable in [
            "DATABASE_URL",
            "AMQP_URL",
            "USERS_URL",
            "ITEMS_URL",
            "ORDERS_URL",
            "GATEWAY_MODE",
            "JWT_SECRET",
            "EMBEDDED_WORKER",
        ] {
            command.env_remove(variable);
        }
        command
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("ADMIN_USERNAME", "root")
            .env("ADMIN_PASSWORD", "root password")
            .env("RUST_LOG", "info")
            .env("LOG_FORMAT", "text");
        for (name, value) in env {
            command.env(name, value);
        }
        Self {
            child: command.spawn().unwrap(),
            log,
        }
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then the exit status (within 30 s).
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "no exit after SIGTERM\n{}",
                self.logs()
            );
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
