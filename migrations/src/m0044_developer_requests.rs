//! Issue 13: a person without developer access asks for it from `/developer`,
//! and administrators decide in the approval queue. `developer_requests` keeps
//! each ask and its decision; a partial unique index lets a person have at most
//! one request waiting, checked by the database (two tabs sending at once make one
//! request, not two).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DeveloperRequests {
    Table,
    Id,
    UserId,
    Plan,
    Status,
    CreatedAt,
    DecidedAt,
    DeciderId,
    Reason,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(DeveloperRequests::Table)
                .col(
                    ColumnDef::new(DeveloperRequests::Id)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(DeveloperRequests::UserId)
                        .string()
                        .not_null(),
                )
                .col(ColumnDef::new(DeveloperRequests::Plan).text().not_null())
                .col(
                    ColumnDef::new(DeveloperRequests::Status)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(DeveloperRequests::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(DeveloperRequests::DecidedAt)
                        .big_integer()
                        .null(),
                )
                .col(ColumnDef::new(DeveloperRequests::DeciderId).string().null())
                .col(ColumnDef::new(DeveloperRequests::Reason).text().null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_developer_requests_user")
                        .from(DeveloperRequests::Table, DeveloperRequests::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_developer_requests_decider")
                        .from(DeveloperRequests::Table, DeveloperRequests::DeciderId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_developer_requests_status")
                .table(DeveloperRequests::Table)
                .col(DeveloperRequests::Status)
                .col(DeveloperRequests::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_developer_requests_user")
                .table(DeveloperRequests::Table)
                .col(DeveloperRequests::UserId)
                .col(DeveloperRequests::CreatedAt)
                .to_owned(),
        )
        .await?;
        // Both databases take a partial index in the same words.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_developer_requests_waiting ON developer_requests (user_id)
                 WHERE status = 'pending'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(DeveloperRequests::Table).to_owned())
            .await
    }
}
