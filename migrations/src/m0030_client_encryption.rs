//! Issue 17: the JWE algorithms a client registers (OpenID Connect Registration
//! §2): for the ID tokens and userinfo responses this server encrypts to it, and
//! for the request objects it encrypts to this server.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Clients {
    Table,
    IdTokenEncryptedResponseAlg,
    IdTokenEncryptedResponseEnc,
    UserinfoEncryptedResponseAlg,
    UserinfoEncryptedResponseEnc,
    RequestObjectEncryptionAlg,
    RequestObjectEncryptionEnc,
}

const COLUMNS: [Clients; 6] = [
    Clients::IdTokenEncryptedResponseAlg,
    Clients::IdTokenEncryptedResponseEnc,
    Clients::UserinfoEncryptedResponseAlg,
    Clients::UserinfoEncryptedResponseEnc,
    Clients::RequestObjectEncryptionAlg,
    Clients::RequestObjectEncryptionEnc,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for col in COLUMNS {
            m.alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .add_column(ColumnDef::new(col).string().null())
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in COLUMNS.into_iter().rev() {
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
