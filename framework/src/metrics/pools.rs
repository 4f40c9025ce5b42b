//! Database pool usage, read from the pools (sqlx keeps the counts) when scraped.

use sea_orm::DatabaseConnectionType;

use super::registry::{header, label};
use crate::db::Database;

/// Connections open, idle and allowed in one pool.
struct Usage {
    size: u32,
    idle: usize,
    max: u32,
}

async fn usage(db: &Database) -> Option<Usage> {
    let conn = db.conn().await.ok()?;
    match &conn.inner {
        DatabaseConnectionType::SqlxPostgresPoolConnection(_) => {
            let pool = conn.get_postgres_connection_pool();
            Some(Usage {
                size: pool.size(),
                idle: pool.num_idle(),
                max: pool.options().get_max_connections(),
            })
        }
        DatabaseConnectionType::SqlxSqlitePoolConnection(_) => {
            let pool = conn.get_sqlite_connection_pool();
            Some(Usage {
                size: pool.size(),
                idle: pool.num_idle(),
                max: pool.options().get_max_connections(),
            })
        }
        _ => None,
    }
}

/// Writes the usage of each named database's pool (those not connected yet are
/// left out).
pub(crate) async fn render(out: &mut String, databases: &[(String, Database)]) {
    let mut rows = Vec::new();
    for (name, db) in databases {
        if let Some(usage) = usage(db).await {
            let mut labels = String::new();
            label(&mut labels, "database", name);
            rows.push((labels, usage));
        }
    }
    if rows.is_empty() {
        return;
    }
    header(
        out,
        "db_pool_connections",
        "gauge",
        "Connections of the database pool, by state (in_use, idle).",
    );
    for (labels, usage) in &rows {
        let in_use = (usage.size as usize).saturating_sub(usage.idle);
        out.push_str(&format!(
            "db_pool_connections{{{labels},state=\"in_use\"}} {in_use}\n"
        ));
        out.push_str(&format!(
            "db_pool_connections{{{labels},state=\"idle\"}} {}\n",
            usage.idle
        ));
    }
    header(
        out,
        "db_pool_max_connections",
        "gauge",
        "Connections the database pool may open at most.",
    );
    for (labels, usage) in &rows {
        out.push_str(&format!(
            "db_pool_max_connections{{{labels}}} {}\n",
            usage.max
        ));
    }
}
