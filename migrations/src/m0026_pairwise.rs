//! Issue 17: pairwise subject identifiers (OpenID Connect Core §8.1, OIDC
//! Registration §2 `subject_type` and `sector_identifier_uri`).
//!
//! `clients.subject_type` is `public` or `pairwise`; `sector_identifier_uri` names
//! the client's sector document. `pairwise_subjects` maps a pairwise `sub` back to
//! the person it was computed for, so an access token carrying it can be checked
//! against the person's account (the `sub` itself is a one-way HMAC). Rows go
//! with the person.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    SubjectType,
    SectorIdentifierUri,
}

#[derive(DeriveIden)]
enum PairwiseSubjects {
    Table,
    Sector,
    Sub,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .add_column(
                    ColumnDef::new(Clients::SubjectType)
                        .string()
                        .not_null()
                        .default("public"),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .add_column(ColumnDef::new(Clients::SectorIdentifierUri).text().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PairwiseSubjects::Table)
                .col(ColumnDef::new(PairwiseSubjects::Sector).string().not_null())
                .col(ColumnDef::new(PairwiseSubjects::Sub).string().not_null())
                .col(ColumnDef::new(PairwiseSubjects::UserId).string().not_null())
                .col(
                    ColumnDef::new(PairwiseSubjects::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(PairwiseSubjects::Sector)
                        .col(PairwiseSubjects::Sub),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(PairwiseSubjects::Table, PairwiseSubjects::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_pairwise_subjects_user")
                .table(PairwiseSubjects::Table)
                .col(PairwiseSubjects::UserId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(PairwiseSubjects::Table).to_owned())
            .await?;
        for col in [Clients::SectorIdentifierUri, Clients::SubjectType] {
            m.alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
