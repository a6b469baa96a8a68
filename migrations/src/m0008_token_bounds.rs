//! What ends tokens besides their expiry: a person's credentials changing (tokens
//! issued before `users.tokens_valid_after` are dead), and who may introspect a
//! token (an API's resource servers, named in `resource_introspectors`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    TokensValidAfter,
}

#[derive(DeriveIden)]
enum Resources {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ResourceIntrospectors {
    Table,
    ResourceId,
    ClientId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column(ColumnDef::new(Users::TokensValidAfter).big_integer().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ResourceIntrospectors::Table)
                .col(
                    ColumnDef::new(ResourceIntrospectors::ResourceId)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ResourceIntrospectors::ClientId)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ResourceIntrospectors::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(ResourceIntrospectors::ResourceId)
                        .col(ResourceIntrospectors::ClientId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_resource_introspectors_resource")
                        .from(
                            ResourceIntrospectors::Table,
                            ResourceIntrospectors::ResourceId,
                        )
                        .to(Resources::Table, Resources::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_resource_introspectors_client")
                        .from(
                            ResourceIntrospectors::Table,
                            ResourceIntrospectors::ClientId,
                        )
                        .to(Clients::Table, Clients::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_resource_introspectors_client")
                .table(ResourceIntrospectors::Table)
                .col(ResourceIntrospectors::ClientId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ResourceIntrospectors::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .drop_column(Users::TokensValidAfter)
                .to_owned(),
        )
        .await
    }
}
