//! The service's configuration and start-up, the same for its own process (`main`)
//! and for a launcher that runs several services in one process.

use std::{error::Error, time::Duration};

use apiarist::{
    App,
    auth::{Auth, AuthSettings},
    client::ServiceToken,
    db::{Database, DbSettings},
};
use shared_models::clients::{ItemsClient, ItemsSettings};

use crate::{ItemCounter, Migrator, ensure_admin};

/// Everything the users service needs to start.
///
/// | variable | field | default |
/// | --- | --- | --- |
/// | `DATABASE_URL` (and `DATABASE_*`) | [`database`](Self::database) | the SQLite file `users.db` |
/// | `JWT_*`, `ACCESS_TOKEN_*`, `LOGIN_*`, `ADMIN_USERNAME` / `ADMIN_PASSWORD` | [`auth`](Self::auth) | a random secret (warned about), no administrator |
/// | `ITEMS_URL` | [`items_url`](Self::items_url) | `http://127.0.0.1:8002` |
/// | `ITEMS_TIMEOUT_MS` | [`items_timeout`](Self::items_timeout) | 5000 |
///
/// `HOST` and `PORT` (default [`DEFAULT_PORT`](crate::DEFAULT_PORT)) are the
/// process's, read by `main`, not part of this.
#[derive(Debug, Clone)]
pub struct Config {
    /// The service's database.
    pub database: DbSettings,
    /// The stack's shared key material (tokens issued here verify in every service),
    /// the login throttle and the bootstrap administrator.
    pub auth: AuthSettings,
    /// The items service, which `GET /admin/stats` asks for the item count.
    pub items_url: String,
    /// The longest a call to the items service may take.
    pub items_timeout: Duration,
}

impl Config {
    /// Reads the variables in the table above; errors name the variable.
    pub fn from_env() -> Result<Config, Box<dyn Error>> {
        let items = ItemsSettings::from_env()?;
        Ok(Config {
            database: DbSettings::from_env("users.db")?,
            auth: AuthSettings::from_env()?,
            items_url: items.url,
            items_timeout: items.timeout,
        })
    }
}

/// Starts the service's database and auth, makes sure the configured administrator
/// exists (waiting for the database when there is one), and returns the app, ready
/// to serve. Call it inside an actix system (the service's own, or its arbiter in an
/// all-in-one process).
///
/// ```no_run
/// fn main() -> std::io::Result<()> {
///     apiarist::App::run_with_port(users::DEFAULT_PORT, || async {
///         users::build(users::Config::from_env()?).await
///     })
/// }
/// ```
pub async fn build(config: Config) -> Result<App, Box<dyn Error>> {
    let db = Database::start::<Migrator>(config.database);
    let auth = Auth::from_settings(&config.auth);
    ensure_admin(&db, config.auth.admin.as_ref()).await?;
    let token = ServiceToken::new("users", auth.clone());
    let items = ItemsClient::connect(&config.items_url, config.items_timeout, token);
    Ok(crate::app(db, auth, ItemCounter::http(items)))
}
