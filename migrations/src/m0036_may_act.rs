//! Issue 16, item 4: a person's consent names which agents may act for them
//! through an app (`may_act`, RFC 8693 §4.4). `grants.may_act` holds it: NULL for
//! any agent the app or its APIs hand the access to (as before), a JSON array of
//! client ids for only those (`[]`: none).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Grants {
    Table,
    MayAct,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Grants::Table)
                .add_column(ColumnDef::new(Grants::MayAct).text().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Grants::Table)
                .drop_column(Grants::MayAct)
                .to_owned(),
        )
        .await
    }
}
