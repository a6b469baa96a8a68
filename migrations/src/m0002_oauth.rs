//! OAuth/OIDC storage: signing keys, APIs (resources) and scopes, clients and their
//! secrets, and revoked access-token ids. Secrets and tokens are stored only hashed.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Kid,
    Alg,
    /// AES-256-GCM sealed private key (nonce || ciphertext), base64.
    PrivateKeySealed,
    /// The public JWK (JSON).
    PublicJwk,
    CreatedAt,
    /// No longer used for signing after this time (NULL = active).
    RetiredAt,
    /// Removed from the JWKS after this time (every token it signed has expired).
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Resources {
    Table,
    Id,
    Name,
    Audience,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Scopes {
    Table,
    Name,
    ResourceId,
    Description,
    RequiresApproval,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    Name,
    Description,
    OwnerId,
    ApplicationType,
    TokenEndpointAuthMethod,
    RedirectUris,
    GrantTypes,
    Scopes,
    FirstParty,
    AllowedEmailDomains,
    AccessTokenTtlSecs,
    Disabled,
    ExpiresAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ClientSecrets {
    Table,
    Id,
    ClientId,
    SecretHash,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum RevokedTokens {
    Table,
    Jti,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SigningKeys::Table)
                .col(
                    ColumnDef::new(SigningKeys::Kid)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(SigningKeys::Alg).string().not_null())
                .col(
                    ColumnDef::new(SigningKeys::PrivateKeySealed)
                        .text()
                        .not_null(),
                )
                .col(ColumnDef::new(SigningKeys::PublicJwk).text().not_null())
                .col(
                    ColumnDef::new(SigningKeys::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(SigningKeys::RetiredAt).big_integer().null())
                .col(ColumnDef::new(SigningKeys::ExpiresAt).big_integer().null())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Resources::Table)
                .col(
                    ColumnDef::new(Resources::Id)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Resources::Name).string().not_null())
                .col(
                    ColumnDef::new(Resources::Audience)
                        .string()
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(Resources::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Scopes::Table)
                .col(
                    ColumnDef::new(Scopes::Name)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Scopes::ResourceId).string().null())
                .col(ColumnDef::new(Scopes::Description).string().not_null())
                .col(
                    ColumnDef::new(Scopes::RequiresApproval)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(ColumnDef::new(Scopes::CreatedAt).big_integer().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_scopes_resource")
                        .from(Scopes::Table, Scopes::ResourceId)
                        .to(Resources::Table, Resources::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Clients::Table)
                .col(
                    ColumnDef::new(Clients::Id)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Clients::Name).string().not_null())
                .col(ColumnDef::new(Clients::Description).text().not_null())
                .col(ColumnDef::new(Clients::OwnerId).string().null())
                .col(ColumnDef::new(Clients::ApplicationType).string().not_null())
                .col(
                    ColumnDef::new(Clients::TokenEndpointAuthMethod)
                        .string()
                        .not_null(),
                )
                // JSON arrays of strings.
                .col(ColumnDef::new(Clients::RedirectUris).text().not_null())
                .col(ColumnDef::new(Clients::GrantTypes).text().not_null())
                .col(ColumnDef::new(Clients::Scopes).text().not_null())
                .col(
                    ColumnDef::new(Clients::FirstParty)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(
                    ColumnDef::new(Clients::AllowedEmailDomains)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Clients::AccessTokenTtlSecs)
                        .big_integer()
                        .null(),
                )
                .col(
                    ColumnDef::new(Clients::Disabled)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(ColumnDef::new(Clients::ExpiresAt).big_integer().null())
                .col(ColumnDef::new(Clients::CreatedAt).big_integer().not_null())
                .col(ColumnDef::new(Clients::UpdatedAt).big_integer().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_clients_owner")
                        .from(Clients::Table, Clients::OwnerId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ClientSecrets::Table)
                .col(
                    ColumnDef::new(ClientSecrets::Id)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(ClientSecrets::ClientId).string().not_null())
                .col(
                    ColumnDef::new(ClientSecrets::SecretHash)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ClientSecrets::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ClientSecrets::ExpiresAt)
                        .big_integer()
                        .null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_client_secrets_client")
                        .from(ClientSecrets::Table, ClientSecrets::ClientId)
                        .to(Clients::Table, Clients::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_client_secrets_client")
                .table(ClientSecrets::Table)
                .col(ClientSecrets::ClientId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RevokedTokens::Table)
                .col(
                    ColumnDef::new(RevokedTokens::Jti)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(RevokedTokens::ExpiresAt)
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            RevokedTokens::Table.into_iden(),
            ClientSecrets::Table.into_iden(),
            Clients::Table.into_iden(),
            Scopes::Table.into_iden(),
            Resources::Table.into_iden(),
            SigningKeys::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
