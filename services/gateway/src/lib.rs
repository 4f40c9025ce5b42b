//! The demo stack's entry point: every domain service behind one address.
//!
//! For now it composes the domain services in one process and one app (the
//! "all-in-one" mode `cargo run` starts): each service contributes its router with its
//! own state (its own [`Database`], so each service keeps owning its tables), and the
//! shared [`Auth`] verifies tokens for all of them. The users service's admin
//! statistics count items through the items service's queries.

use std::error::Error;

use apiarist::{
    App,
    auth::{Auth, AuthSettings},
    db::{Database, DbSettings},
};
use users::ItemCounter;

/// The databases of the composed services.
#[derive(Debug, Clone)]
pub struct Databases {
    /// The items service's.
    pub items: Database,
    /// The users service's.
    pub users: Database,
}

impl Databases {
    /// Starts each service's database from the environment (`DATABASE_URL`, else a
    /// SQLite file per service). Call inside the actix system.
    pub fn from_env() -> Result<Self, Box<dyn Error>> {
        Ok(Self {
            items: Database::start::<items::Migrator>(DbSettings::from_env("items.db")?),
            users: Database::start::<users::Migrator>(DbSettings::from_env("users.db")?),
        })
    }
}

/// The composed app on `dbs`, with `auth` for every service.
pub fn app(dbs: Databases, auth: Auth) -> App {
    let items_db = dbs.items.clone();
    let counter = ItemCounter::new(move || {
        let db = items_db.clone();
        async move {
            let conn = db.conn().await?;
            Ok(items::models::count(&conn).await?)
        }
    });
    App::new("apiarist demo")
        .version(env!("CARGO_PKG_VERSION"))
        .description("The apiarist demo stack: items and users.")
        .state(auth)
        .ready_check("items", dbs.items.clone())
        .ready_check("users", dbs.users.clone())
        .include(items::routes::router().state(dbs.items))
        .include(users::router().state(dbs.users).state(counter))
}

/// Everything `main` does before serving: databases, auth, the admin account.
pub async fn start() -> Result<App, Box<dyn Error>> {
    let dbs = Databases::from_env()?;
    let settings = AuthSettings::from_env()?;
    let auth = Auth::from_settings(&settings);
    dbs.users.wait_ready().await?;
    users::ensure_admin(&dbs.users, settings.admin.as_ref()).await?;
    Ok(app(dbs, auth))
}
