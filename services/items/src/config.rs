//! The service's configuration and start-up, the same for its own process (`main`)
//! and for a launcher that runs several services in one process.

use std::{error::Error, path::PathBuf};

use apiarist::{
    App,
    auth::{Auth, AuthSettings},
    db::{Database, DbSettings},
};
use serde::Deserialize;

use crate::{Files, Migrator};

/// Everything the items service needs to start.
///
/// | variable | field | default |
/// | --- | --- | --- |
/// | `DATABASE_URL` (and `DATABASE_*`) | [`database`](Self::database) | the SQLite file `items.db` |
/// | `JWT_*`, `ACCESS_TOKEN_*` | [`auth`](Self::auth) | a random secret (warned about) |
/// | `ITEMS_MEDIA_DIR` | [`files`](Self::files)`.media_dir` | `items-media` |
/// | `ITEMS_STATIC_DIR` | [`files`](Self::files)`.static_dir` | the crate's `static/` |
///
/// `HOST` and `PORT` (default [`DEFAULT_PORT`](crate::DEFAULT_PORT)) are the
/// process's, read by `main`, not part of this.
#[derive(Debug, Clone)]
pub struct Config {
    /// The service's database.
    pub database: DbSettings,
    /// The stack's shared key material: the internal routes verify the other
    /// services' tokens with it. Every service of one stack must have the same.
    pub auth: AuthSettings,
    /// Where item images are kept and what `/static/` serves.
    pub files: Files,
}

#[derive(Deserialize)]
struct ItemsEnv {
    items_media_dir: Option<PathBuf>,
    items_static_dir: Option<PathBuf>,
}

impl Config {
    /// Reads the variables in the table above; errors name the variable.
    pub fn from_env() -> Result<Config, Box<dyn Error>> {
        let env: ItemsEnv = apiarist::settings::from_env()?;
        let defaults = Files::default();
        let nonempty = |dir: Option<PathBuf>| dir.filter(|d| !d.as_os_str().is_empty());
        Ok(Config {
            database: DbSettings::from_env("items.db")?,
            auth: AuthSettings::from_env()?,
            files: Files {
                media_dir: nonempty(env.items_media_dir).unwrap_or(defaults.media_dir),
                static_dir: nonempty(env.items_static_dir).unwrap_or(defaults.static_dir),
            },
        })
    }
}

/// Starts the service's database (connecting and migrating in the background) and
/// auth, and returns the app, ready to serve. Call it inside an actix system (the
/// service's own, or its arbiter in an all-in-one process).
///
/// ```no_run
/// fn main() -> std::io::Result<()> {
///     apiarist::App::run_with_port(items::DEFAULT_PORT, || async {
///         items::build(items::Config::from_env()?).await
///     })
/// }
/// ```
pub async fn build(config: Config) -> Result<App, Box<dyn Error>> {
    let db = Database::start::<Migrator>(config.database);
    let auth = Auth::from_settings(&config.auth);
    Ok(crate::app_with(db, auth, config.files))
}
