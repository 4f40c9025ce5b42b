//! Start-up hooks: async work before the app serves (FastAPI's lifespan start).

use std::{future::Future, pin::Pin, sync::Arc};

use super::App;

type StartupFuture = Pin<Box<dyn Future<Output = Result<(), String>>>>;
pub(super) type StartupHook = Arc<dyn Fn() -> StartupFuture + Send + Sync>;

impl App {
    /// Runs `hook` before the app serves: open pools, warm caches, check a
    /// dependency is there. Hooks run once per app (not per worker), in the order
    /// added, those of mounted apps after the app's own; the first `Err` stops
    /// start-up with its message. [`on_shutdown`](Self::on_shutdown) hooks are the
    /// other end of the lifespan. The TestClient runs them too.
    ///
    /// ```
    /// use std::sync::{Arc, atomic::{AtomicBool, Ordering}};
    /// use apiarist::App;
    ///
    /// # actix_web::rt::System::new().block_on(async {
    /// let warmed = Arc::new(AtomicBool::new(false));
    /// let flag = warmed.clone();
    /// let app = App::new("svc").on_startup(move || {
    ///     let flag = flag.clone();
    ///     async move {
    ///         flag.store(true, Ordering::SeqCst); // e.g. load a model, fill a cache
    ///         Ok::<_, std::io::Error>(())
    ///     }
    /// });
    /// app.startup().await.unwrap();
    /// assert!(warmed.load(Ordering::SeqCst));
    /// # });
    /// ```
    pub fn on_startup<F, Fut, E>(mut self, hook: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + 'static,
        E: std::fmt::Display,
    {
        self.startup.push(Arc::new(move || {
            let started = hook();
            Box::pin(async move { started.await.map_err(|e| e.to_string()) })
        }));
        self
    }

    /// Runs the start-up hooks (see [`on_startup`](Self::on_startup)); serving calls
    /// it before binding. The error names the app and carries the hook's message.
    pub async fn startup(&self) -> std::io::Result<()> {
        for hook in &self.startup {
            if let Err(message) = hook().await {
                let title = &self.info.title;
                return Err(std::io::Error::other(format!(
                    "start-up of {title} failed: {message}"
                )));
            }
        }
        for (_, app) in &self.mounts {
            Box::pin(app.startup()).await?;
        }
        Ok(())
    }
}
