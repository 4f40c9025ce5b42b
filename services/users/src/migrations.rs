//! The users service's schema, applied by its `DbActor` at start-up.
//!
//! The migrator keeps its bookkeeping in `seaql_migrations_users` instead of
//! sea-orm's default `seaql_migrations`, so several services can share one database:
//! each migrator then only sees (and checks) its own migrations.

use sea_orm_migration::{prelude::*, schema::*};

/// The users service's migrations, in order.
#[derive(Debug, Clone, Copy)]
pub struct Migrator;

/// The migrator's bookkeeping table.
pub const MIGRATION_TABLE: &str = "seaql_migrations_users";

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateUsers)]
    }

    fn migration_table_name() -> DynIden {
        MIGRATION_TABLE.into_iden()
    }
}

/// Creates `users` with a unique index on `username`: the index, not a lookup before
/// the insert, is what makes a username taken (two racing registrations cannot both
/// win).
struct CreateUsers;

impl MigrationName for CreateUsers {
    fn name(&self) -> &str {
        "m20260101_000001_create_users"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateUsers {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("users")
                    // AUTOINCREMENT on SQLite, a sequence on PostgreSQL: ids are never
                    // reused, so a deleted user's token cannot become someone else's.
                    .col(pk_auto("id"))
                    .col(string_len("username", 50))
                    .col(string("email"))
                    .col(string_null("full_name"))
                    .col(string("hashed_password"))
                    .col(boolean("is_active").default(true))
                    .col(boolean("is_admin").default(false))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("users_username_key")
                    .table("users")
                    .col("username")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("users").to_owned())
            .await
    }
}
