//! Issue 18: OpenID Connect logout (RP-Initiated, Front-Channel and Back-Channel
//! Logout 1.0).
//!
//! - `sessions.sid`: the session's public identifier, put in ID tokens (`sid`) and
//!   logout tokens. Random and unrelated to the session token (whose hash is the
//!   row's id), so an app holding a `sid` learns nothing that signs anyone in.
//! - `authorization_codes.sid`: the session a code was issued in, so the ID token
//!   issued from it names it.
//! - `session_clients`: which clients a session signed in to, so its end can be
//!   told to each of them. Gone with the session or the client.
//! - `logout_deliveries`: the back-channel outbox. A row is written in the
//!   transaction that ends the session; a sender POSTs a freshly signed logout token
//!   and retries with backoff. No token is stored: it is signed at each attempt.
//! - The four client fields of Front-Channel Logout §2 and Back-Channel Logout §2.2.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    Sid,
}

#[derive(DeriveIden)]
enum AuthorizationCodes {
    Table,
    Sid,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    BackchannelLogoutUri,
    BackchannelLogoutSessionRequired,
    FrontchannelLogoutUri,
    FrontchannelLogoutSessionRequired,
}

#[derive(DeriveIden)]
enum SessionClients {
    Table,
    SessionId,
    ClientId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LogoutDeliveries {
    Table,
    Id,
    ClientId,
    UserId,
    Sid,
    CreatedAt,
    Attempts,
    NextAttemptAt,
    DeliveredAt,
    GaveUpAt,
    LastError,
}

async fn add(
    m: &SchemaManager<'_>,
    table: impl IntoIden,
    col: &mut ColumnDef,
) -> Result<(), DbErr> {
    // One column per statement: SQLite's ALTER TABLE adds one at a time.
    m.alter_table(Table::alter().table(table).add_column(col).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add(
            m,
            Sessions::Table,
            ColumnDef::new(Sessions::Sid).text().null(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_sessions_sid")
                .table(Sessions::Table)
                .col(Sessions::Sid)
                .unique()
                .to_owned(),
        )
        .await?;
        add(
            m,
            AuthorizationCodes::Table,
            ColumnDef::new(AuthorizationCodes::Sid).text().null(),
        )
        .await?;
        add(
            m,
            Clients::Table,
            ColumnDef::new(Clients::BackchannelLogoutUri).text().null(),
        )
        .await?;
        add(
            m,
            Clients::Table,
            ColumnDef::new(Clients::BackchannelLogoutSessionRequired)
                .boolean()
                .not_null()
                .default(false),
        )
        .await?;
        add(
            m,
            Clients::Table,
            ColumnDef::new(Clients::FrontchannelLogoutUri).text().null(),
        )
        .await?;
        add(
            m,
            Clients::Table,
            ColumnDef::new(Clients::FrontchannelLogoutSessionRequired)
                .boolean()
                .not_null()
                .default(false),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SessionClients::Table)
                .col(ColumnDef::new(SessionClients::SessionId).text().not_null())
                .col(ColumnDef::new(SessionClients::ClientId).text().not_null())
                .col(
                    ColumnDef::new(SessionClients::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(SessionClients::SessionId)
                        .col(SessionClients::ClientId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(SessionClients::Table, SessionClients::SessionId)
                        .to(Sessions::Table, Sessions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(SessionClients::Table, SessionClients::ClientId)
                        .to(Clients::Table, Clients::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LogoutDeliveries::Table)
                .col(
                    ColumnDef::new(LogoutDeliveries::Id)
                        .text()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(LogoutDeliveries::ClientId).text().not_null())
                .col(ColumnDef::new(LogoutDeliveries::UserId).text().not_null())
                .col(ColumnDef::new(LogoutDeliveries::Sid).text().null())
                .col(
                    ColumnDef::new(LogoutDeliveries::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(LogoutDeliveries::Attempts)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(LogoutDeliveries::NextAttemptAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(LogoutDeliveries::DeliveredAt)
                        .big_integer()
                        .null(),
                )
                .col(
                    ColumnDef::new(LogoutDeliveries::GaveUpAt)
                        .big_integer()
                        .null(),
                )
                .col(ColumnDef::new(LogoutDeliveries::LastError).text().null())
                .foreign_key(
                    ForeignKey::create()
                        .from(LogoutDeliveries::Table, LogoutDeliveries::ClientId)
                        .to(Clients::Table, Clients::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_logout_deliveries_due")
                .table(LogoutDeliveries::Table)
                .col(LogoutDeliveries::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_logout_deliveries_client")
                .table(LogoutDeliveries::Table)
                .col(LogoutDeliveries::ClientId)
                .col(LogoutDeliveries::CreatedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(LogoutDeliveries::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(SessionClients::Table).to_owned())
            .await?;
        for col in [
            Clients::BackchannelLogoutUri,
            Clients::BackchannelLogoutSessionRequired,
            Clients::FrontchannelLogoutUri,
            Clients::FrontchannelLogoutSessionRequired,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(AuthorizationCodes::Table)
                .drop_column(AuthorizationCodes::Sid)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_sessions_sid")
                .table(Sessions::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Sessions::Table)
                .drop_column(Sessions::Sid)
                .to_owned(),
        )
        .await
    }
}
