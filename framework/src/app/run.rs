//! Running an [`App`]: serving it, and the body of a service's `main`.
//!
//! There are three ways to put an app on the network, for three callers:
//!
//! - [`App::serve`] binds `host:port` and serves until SIGINT/SIGTERM: a service's
//!   own process.
//! - [`App::serve_on`] does the same on a listener the caller already bound, so a
//!   launcher can bind port 0, read the port the system chose, and tell others.
//! - [`App::start_on`] starts serving on a listener and hands back a handle and a
//!   future: the server ignores signals and stops when its owner says so, which is
//!   what a process that hosts several apps needs (it stops them in its own order).

use std::{future::Future, net::TcpListener, pin::Pin};

use actix_web::dev::ServerHandle;

use super::App;

/// Where a server listens.
enum Bind<'a> {
    Address(&'a str, u16),
    Listener(TcpListener),
}

/// A started server's end: resolves once it has stopped and its hooks have run.
type Stopped = Pin<Box<dyn Future<Output = std::io::Result<()>>>>;

impl App {
    /// Runs the start-up hooks ([`on_startup`](Self::on_startup)), then serves the app
    /// on `host:port` until SIGINT/SIGTERM, finishing in-flight requests.
    pub async fn serve(self, host: &str, port: u16) -> std::io::Result<()> {
        self.startup().await?;
        self.launch(Bind::Address(host, port), true)?.1.await
    }

    /// Like [`serve`](Self::serve), on an already bound `listener`. Bind port 0 to let the system choose a free port.
    ///
    /// ```no_run
    /// use apiarist::App;
    ///
    /// # actix_web::rt::System::new().block_on(async {
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// println!("listening on {}", listener.local_addr()?);
    /// App::new("svc").serve_on(listener).await
    /// # }).unwrap();
    /// ```
    pub async fn serve_on(self, listener: TcpListener) -> std::io::Result<()> {
        self.startup().await?;
        self.launch(Bind::Listener(listener), true)?.1.await
    }

    /// Runs the start-up hooks, starts serving the app on `listener`, and returns a
    /// handle that stops the server (`handle.stop(true)`: gracefully, from any
    /// thread; the server does not react to SIGINT/SIGTERM itself) and a future
    /// that resolves once it has stopped and its shutdown hooks have run. Call it
    /// inside an actix system, and await or spawn the future there.
    ///
    /// ```no_run
    /// use apiarist::App;
    ///
    /// # actix_web::rt::System::new().block_on(async {
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let port = listener.local_addr()?.port();
    /// let (handle, stopped) = App::new("svc").start_on(listener).await?;
    /// let stopped = actix_web::rt::spawn(stopped);
    /// println!("serving on port {port}");
    /// handle.stop(true).await;
    /// stopped.await?
    /// # }).unwrap();
    /// ```
    pub async fn start_on(
        self,
        listener: TcpListener,
    ) -> std::io::Result<(
        ServerHandle,
        impl Future<Output = std::io::Result<()>> + 'static,
    )> {
        self.startup().await?;
        self.launch(Bind::Listener(listener), false)
    }

    fn launch(self, bind: Bind<'_>, signals: bool) -> std::io::Result<(ServerHandle, Stopped)> {
        let app = self;
        app.check().map_err(std::io::Error::other)?;
        let title = app.info.title.clone();
        let docs = app.docs.as_ref().and_then(|d| d.swagger_ui.clone());
        let hooks = app.shutdown.clone();
        let grace = crate::settings::shutdown_grace().map_err(std::io::Error::other)?;
        let server = actix_web::HttpServer::new(move || app.clone().into_actix())
            .shutdown_timeout(grace.as_secs());
        let server = match bind {
            Bind::Address(host, port) => server.bind((host, port))?,
            Bind::Listener(listener) => server.listen(listener)?,
        };
        let server = if signals {
            server
        } else {
            server.disable_signals()
        };
        for addr in server.addrs() {
            match &docs {
                Some(docs) => {
                    tracing::info!(service = %title, "listening on http://{addr} (docs at {})", docs)
                }
                None => tracing::info!(service = %title, "listening on http://{addr}"),
            }
        }
        let server = server.run();
        let handle = server.handle();
        let stopped = Box::pin(async move {
            let served = server.await;
            tracing::info!(service = %title, "server stopped; running shutdown hooks");
            for hook in hooks {
                hook().await;
            }
            // The last requests' spans, before the process exits.
            crate::telemetry::flush();
            served
        });
        Ok((handle, stopped))
    }

    /// Reads [`ServerSettings`](crate::settings::ServerSettings) from the environment,
    /// sets up logging and serves the app: the body of a service's `main`.
    pub fn run(self) -> std::io::Result<()> {
        let settings = crate::settings::ServerSettings::from_env().unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(2);
        });
        crate::telemetry::init();
        actix_web::rt::System::new().block_on(self.serve(&settings.host, settings.port))
    }

    /// Like [`run`](Self::run), for an app that needs the actix system to exist
    /// before it can be built (it starts actors: a `Database`, an `Auth`): `build`
    /// runs inside the system, and a start-up error it returns ends the process
    /// with its message.
    ///
    /// ```no_run
    /// use apiarist::{App, db::{Database, DbSettings}};
    /// # struct Migrator;
    /// # impl apiarist::db::sea_orm_migration::MigratorTrait for Migrator {
    /// #     fn migrations() -> Vec<Box<dyn apiarist::db::sea_orm_migration::MigrationTrait>> { vec![] }
    /// # }
    ///
    /// fn main() -> std::io::Result<()> {
    ///     App::run_with(|| async {
    ///         let db = Database::start::<Migrator>(DbSettings::from_env("notes.db")?);
    ///         Ok::<_, apiarist::db::DbError>(App::new("notes").state(db))
    ///     })
    /// }
    /// ```
    pub fn run_with<F, Fut, E>(build: F) -> std::io::Result<()>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<App, E>>,
        E: std::fmt::Display,
    {
        Self::run_with_port(8000, build)
    }

    /// [`run_with`](Self::run_with), listening on `default_port` when `PORT` is unset.
    pub fn run_with_port<F, Fut, E>(default_port: u16, build: F) -> std::io::Result<()>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<App, E>>,
        E: std::fmt::Display,
    {
        let settings = crate::settings::ServerSettings::from_env_with_port(default_port)
            .unwrap_or_else(|e| {
                eprintln!("{e}");
                std::process::exit(2);
            });
        crate::telemetry::init();
        actix_web::rt::System::new().block_on(async move {
            let app = build().await.unwrap_or_else(|e| {
                tracing::error!("start-up failed: {e}");
                eprintln!("start-up failed: {e}");
                std::process::exit(2);
            });
            app.serve(&settings.host, settings.port).await
        })
    }
}
