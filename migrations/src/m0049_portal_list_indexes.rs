//! Issue 14, scale: the portal's lists read what a page shows, not the whole
//! table, at 10,000 clients and 100,000 requests.
//!
//! - The client list and the approval queue flag names that look like another
//!   client's (UTS #39 skeletons, `domain::platform::lookalike`). They read every
//!   client's name on every page view to do it. The skeleton is now stored with the
//!   client and indexed, so a page asks only for the names that look like the ones
//!   it shows. Existing rows are filled in by `domain::platform::db::migrate` right
//!   after the migrations (the skeleton is computed in Rust, from Unicode's
//!   confusables table, not in SQL).
//! - The client list is sorted by name (or creation) and a developer's is theirs:
//!   indexes in those orders, and on the owner.
//! - The request lists filter by status and sort by creation: one index in that
//!   order, so a page is read off the index instead of sorting every match.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    Name,
    NameSkeleton,
    CreatedAt,
    OwnerId,
}

#[derive(DeriveIden)]
enum ChangeRequests {
    Table,
    Id,
    Status,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .add_column(ColumnDef::new(Clients::NameSkeleton).text().null())
                .to_owned(),
        )
        .await?;
        let clients = [
            ("idx_clients_name_skeleton", vec![Clients::NameSkeleton]),
            ("idx_clients_name", vec![Clients::Name, Clients::Id]),
            ("idx_clients_created", vec![Clients::CreatedAt, Clients::Id]),
            ("idx_clients_owner", vec![Clients::OwnerId]),
        ];
        for (name, cols) in clients {
            let mut index = Index::create();
            index.if_not_exists().name(name).table(Clients::Table);
            for c in cols {
                index.col(c);
            }
            m.create_index(index.to_owned()).await?;
        }
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("idx_change_requests_status_created")
                .table(ChangeRequests::Table)
                .col(ChangeRequests::Status)
                .col(ChangeRequests::CreatedAt)
                .col(ChangeRequests::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_change_requests_status_created")
                .table(ChangeRequests::Table)
                .to_owned(),
        )
        .await?;
        for name in [
            "idx_clients_owner",
            "idx_clients_created",
            "idx_clients_name",
            "idx_clients_name_skeleton",
        ] {
            m.drop_index(Index::drop().name(name).table(Clients::Table).to_owned())
                .await?;
        }
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .drop_column(Clients::NameSkeleton)
                .to_owned(),
        )
        .await
    }
}
