//! The orders service's schema: orders and the notifications their jobs record.

use sea_orm_migration::{prelude::*, schema::*};

/// The service's migrator (its bookkeeping table is its own, so services can share
/// a database).
#[derive(Debug)]
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all: Vec<Box<dyn MigrationTrait>> = vec![Box::new(CreateOrders)];
        // The outbox and effect ledger the order jobs go through.
        all.extend(apiarist::jobs::outbox::migrations());
        all
    }

    fn migration_table_name() -> DynIden {
        "seaql_migrations_orders".into_iden()
    }
}

struct CreateOrders;

impl MigrationName for CreateOrders {
    fn name(&self) -> &str {
        "m20261122_000001_create_orders"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateOrders {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("orders")
                    .if_not_exists()
                    .col(pk_auto("id"))
                    .col(string("owner"))
                    .col(big_integer("item_id"))
                    .col(big_integer("quantity"))
                    .col(string_len("status", 20))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("order_notification")
                    .if_not_exists()
                    .col(pk_auto("id"))
                    .col(big_integer("order_id"))
                    .col(string_len("event", 40))
                    .col(text("message"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        // One notification per order and event: a redelivered job cannot record twice.
        manager
            .create_index(
                Index::create()
                    .name("order_notification_once")
                    .table("order_notification")
                    .col("order_id")
                    .col("event")
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("order_notification").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("orders").to_owned())
            .await
    }
}
