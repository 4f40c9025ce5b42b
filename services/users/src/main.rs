//! Runs the users service on its own, on `HOST:PORT` (default 127.0.0.1:8000).
//!
//! Reads `DATABASE_URL` (default: the SQLite file `users.db`), the auth variables
//! (`JWT_*`, `ACCESS_TOKEN_*`, `LOGIN_*`, `ADMIN_USERNAME` / `ADMIN_PASSWORD`), and
//! `RUST_LOG` / `LOG_FORMAT`. Without the items service, `GET /admin/stats` is a 503.

use apiarist::{
    App,
    auth::{Auth, AuthSettings},
    db::{Database, DbSettings},
};
use users::{ItemCounter, Migrator, ensure_admin};

fn main() -> std::io::Result<()> {
    App::run_with(|| async {
        let auth_settings = AuthSettings::from_env()?;
        let db = Database::start::<Migrator>(DbSettings::from_env("users.db")?);
        let auth = Auth::from_settings(&auth_settings);
        ensure_admin(&db, auth_settings.admin.as_ref()).await?;
        Ok::<_, Box<dyn std::error::Error>>(users::app(db, auth, ItemCounter::unavailable()))
    })
}
