//! Child processes under a guard: logs captured to a file, signals by pid, and a
//! SIGKILL on drop for any process the test did not end itself.

use std::{
    fs::File,
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::PathBuf,
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

/// A running child process, killed (SIGKILL) and reaped when dropped.
#[derive(Debug)]
pub struct Process {
    name: String,
    child: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Process {
    /// Starts `program` with the test's environment plus `env`, its stdout and
    /// stderr going to a log file ([`logs`](Self::logs)), in a directory of its own
    /// (no stray `.env` is read, no default SQLite file lands in the tree).
    /// `RUST_LOG` defaults to `info`.
    pub fn spawn(name: &str, program: &str, env: &[(&str, String)]) -> Self {
        Self::spawn_without(name, program, env, &[])
    }

    /// [`spawn`](Self::spawn), with the test's `unset` variables removed first (so
    /// that the process sees only what `env` gives it of them).
    pub fn spawn_without(
        name: &str,
        program: &str,
        env: &[(&str, String)],
        unset: &[&str],
    ) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("apiarist-e2e-")
            .tempdir()
            .expect("creating a log directory");
        let log = dir.path().join(format!("{name}.log"));
        let out = File::create(&log).expect("creating a log file");
        let err = out.try_clone().expect("sharing the log file");
        let mut command = Command::new(program);
        for variable in unset {
            command.env_remove(variable);
        }
        command
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or("info".into()),
            )
            .env("LOG_FORMAT", "text");
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name} ({program}): {e}"));
        Self {
            name: name.to_owned(),
            child,
            log,
            _dir: dir,
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What it printed so far, headed by its name (for assertion messages).
    pub fn logs(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = File::open(&self.log) {
            let _ = file.read_to_string(&mut text);
        }
        format!(
            "----- {} (pid {}) -----\n{text}----- end of {} -----",
            self.name,
            self.pid(),
            self.name
        )
    }

    /// Sends `signal` (`"TERM"`, `"INT"`, `"KILL"`, ...) with `kill(1)`.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args(["-s", signal, &self.pid().to_string()])
            .status()
            .expect("running kill(1)");
        assert!(status.success(), "kill -s {signal} {} failed", self.pid());
    }

    /// SIGKILL, then waits for the process to be gone.
    pub fn kill(&mut self) -> ExitStatus {
        let _ = self.child.kill();
        self.child.wait().expect("reaping a killed process")
    }

    /// Its exit status if it has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("polling a child process")
    }

    /// Waits up to `timeout` for the process to exit by itself.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            actix_rt::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            eprintln!("{}", self.logs());
        }
    }
}

/// A TCP port nobody listens on right now (the OS's pick).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding an ephemeral port");
    listener.local_addr().expect("its address").port()
}

/// The status code of `GET path` on `127.0.0.1:port`, or `None` if nothing answers.
pub fn http_status(port: u16, path: &str) -> Option<u16> {
    let timeout = Duration::from_secs(2);
    let addr = ([127, 0, 0, 1], port).into();
    let mut stream = TcpStream::connect_timeout(&addr, timeout).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    stream.set_write_timeout(Some(timeout)).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    // "HTTP/1.1 200"
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}
