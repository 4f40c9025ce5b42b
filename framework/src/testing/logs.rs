//! [`CapturedLogs`]: what the app logged during a test, to assert on.

use std::sync::{Arc, Mutex};

use tracing::subscriber::DefaultGuard;

/// The log lines this thread writes while it lives, as plain text (the human
/// format, without colours). Apps under [`TestClient`](super::TestClient) run on the
/// test's thread, so their handlers', tasks' and panic hook's lines land here.
///
/// ```
/// let logs = apiarist::testing::CapturedLogs::start(tracing::Level::INFO);
/// tracing::info!(order_id = 7, "order confirmed");
/// tracing::debug!("below the level");
/// assert!(logs.text().contains("order confirmed order_id=7"));
/// assert!(!logs.text().contains("below the level"));
/// ```
pub struct CapturedLogs {
    buffer: Arc<Mutex<Vec<u8>>>,
    _installed: DefaultGuard,
}

impl std::fmt::Debug for CapturedLogs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CapturedLogs").finish_non_exhaustive()
    }
}

impl CapturedLogs {
    /// Captures this thread's logs at `level` and above, until dropped.
    pub fn start(level: tracing::Level) -> Self {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Writer(buffer.clone());
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        Self {
            buffer,
            _installed: tracing::subscriber::set_default(subscriber),
        }
    }

    /// Everything captured so far.
    pub fn text(&self) -> String {
        let buffer = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&buffer).into_owned()
    }
}

/// The subscriber's writer: appends to the shared buffer.
#[derive(Clone)]
struct Writer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut buffer = self.0.lock().unwrap_or_else(|e| e.into_inner());
        buffer.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
