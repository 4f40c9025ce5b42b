//! Running an [`App`]: serving it, and the body of a service's `main`.

use std::future::Future;

use super::App;

impl App {
    /// Serves the app on `host:port` until SIGINT/SIGTERM, finishing in-flight requests.
    pub async fn serve(self, host: &str, port: u16) -> std::io::Result<()> {
        let app = self;
        app.check().map_err(std::io::Error::other)?;
        let title = app.info.title.clone();
        let docs = app.docs.as_ref().and_then(|d| d.swagger_ui.clone());
        let hooks = app.shutdown.clone();
        let server =
            actix_web::HttpServer::new(move || app.clone().into_actix()).bind((host, port))?;
        for addr in server.addrs() {
            match &docs {
                Some(docs) => {
                    tracing::info!(service = %title, "listening on http://{addr} (docs at {})", docs)
                }
                None => tracing::info!(service = %title, "listening on http://{addr}"),
            }
        }
        let served = server.run().await;
        tracing::info!(service = %title, "server stopped; running shutdown hooks");
        for hook in hooks {
            hook().await;
        }
        served
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
