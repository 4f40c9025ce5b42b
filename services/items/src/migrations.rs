//! The items service's schema, as sea-orm migrations run by its `DbActor` at start-up.

use sea_orm_migration::{prelude::*, schema::*};

/// The service's migrator. Its bookkeeping table is its own, so services can share
/// one database (the all-in-one mode, or one PostgreSQL) without tripping on each
/// other's migrations.
#[derive(Debug)]
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateItem), Box::new(CreateStockReservation)]
    }

    fn migration_table_name() -> DynIden {
        "seaql_migrations_items".into_iden()
    }
}

struct CreateItem;

impl MigrationName for CreateItem {
    fn name(&self) -> &str {
        "m20261122_000001_create_item"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateItem {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("item")
                    .if_not_exists()
                    .col(pk_auto("id"))
                    .col(string_len("name", 100))
                    .col(text_null("description"))
                    .col(double("price"))
                    .col(double_null("tax"))
                    .col(json("tags"))
                    .col(big_integer("stock"))
                    .col(double("internal_cost"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("item").to_owned())
            .await
    }
}

/// Reservations of stock made by other services (orders), keyed by the caller's id,
/// so reserving is idempotent and releasing happens once.
struct CreateStockReservation;

impl MigrationName for CreateStockReservation {
    fn name(&self) -> &str {
        "m20261123_000001_create_stock_reservation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateStockReservation {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("stock_reservation")
                    .if_not_exists()
                    .col(string_len("id", 36).primary_key())
                    .col(big_integer("item_id"))
                    .col(big_integer("quantity"))
                    .col(string_len("state", 10))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("stock_reservation").to_owned())
            .await
    }
}
