//! Issue 16, item 2: clients whose `client_id` is the URL of their client ID
//! metadata document (draft-ietf-oauth-client-id-metadata-document).
//!
//! `metadata_document_clients`: one row per such client (its `clients` row has
//! the URL as its id): the document's host, when it was last fetched and for how
//! long that copy is fresh (its `Cache-Control: max-age`, clamped), and the
//! protected name it imitates, if any (a look-alike, never admitted at once).
//! Deleted with its client.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MetadataDocumentClients {
    Table,
    ClientId,
    Host,
    FetchedAt,
    MaxAgeSecs,
    Imitates,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(MetadataDocumentClients::Table)
                .col(
                    ColumnDef::new(MetadataDocumentClients::ClientId)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(MetadataDocumentClients::Host)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(MetadataDocumentClients::FetchedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(MetadataDocumentClients::MaxAgeSecs)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(MetadataDocumentClients::Imitates)
                        .string()
                        .null(),
                )
                .col(
                    ColumnDef::new(MetadataDocumentClients::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_metadata_document_clients_client")
                        .from(
                            MetadataDocumentClients::Table,
                            MetadataDocumentClients::ClientId,
                        )
                        .to(Clients::Table, Clients::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(MetadataDocumentClients::Table)
                .to_owned(),
        )
        .await
    }
}
