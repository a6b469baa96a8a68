//! Issue 15 (seed 002): acceptance of the terms of use. A person's row keeps the
//! version of the terms they last accepted and when; a pending sign-in keeps what
//! it carries to its next step (`detail`: the version of the terms accepted on the
//! way, recorded only once the sign-in makes its session).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    TermsVersion,
    TermsAcceptedAt,
}

#[derive(DeriveIden)]
enum AccountTokens {
    Table,
    Detail,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column(ColumnDef::new(Users::TermsVersion).string().null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column(ColumnDef::new(Users::TermsAcceptedAt).big_integer().null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AccountTokens::Table)
                .add_column(ColumnDef::new(AccountTokens::Detail).string().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(AccountTokens::Table)
                .drop_column(AccountTokens::Detail)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .drop_column(Users::TermsAcceptedAt)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .drop_column(Users::TermsVersion)
                .to_owned(),
        )
        .await
    }
}
