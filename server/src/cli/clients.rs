//! `portcullis client …`: registering and deleting clients from the command line.

use std::sync::Arc;

use clap::Subcommand;
use domain::platform::password::PasswordHasher;
use domain::Clock;

use super::domain_err;
use crate::settings::Settings;
use crate::startup::open_database;

// Parsed once per run: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Register a client; its secret is printed once and never again.
    Add {
        #[arg(long)]
        name: String,
        /// web, native or service
        #[arg(long = "type", default_value = "web")]
        application_type: String,
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        #[arg(long = "scope")]
        scopes: Vec<String>,
        #[arg(long = "grant")]
        grants: Vec<String>,
        /// Restrict on whose behalf tokens are issued to these e-mail domains.
        #[arg(long = "email-domain")]
        email_domains: Vec<String>,
        /// A first-party application (still usable when third-party OAuth is off).
        #[arg(long)]
        first_party: bool,
        /// Pre-authorized: people signing in are not asked to consent; their
        /// consent is recorded for them (audited as pre-authorized).
        #[arg(long)]
        pre_authorized: bool,
        /// Where the app may send people after signing them out (RP-Initiated Logout).
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// A web origin (`scheme://host[:port]`) whose pages may call the token
        /// endpoint from the browser (CORS).
        #[arg(long = "allowed-origin")]
        allowed_origins: Vec<String>,
        /// Where a signed logout token is posted when a session ends.
        #[arg(long)]
        backchannel_logout_uri: Option<String>,
        /// Loaded in an iframe of the sign-out page when a session ends.
        #[arg(long)]
        frontchannel_logout_uri: Option<String>,
        /// Add `iss` and `sid` to the front-channel logout URI.
        #[arg(long)]
        frontchannel_logout_session_required: bool,
        /// Accept its authorization requests only when pushed first (RFC 9126).
        #[arg(long)]
        require_pushed_authorization_requests: bool,
        /// Refuse its token requests without a DPoP proof (RFC 9449 §5.2).
        #[arg(long)]
        dpop_bound_access_tokens: bool,
        /// client_secret_basic (default), client_secret_post, private_key_jwt
        /// (with --jwks-uri; no secret is issued) or none (native clients).
        #[arg(long)]
        token_endpoint_auth_method: Option<String>,
        /// Where the client publishes its public keys (for private_key_jwt).
        #[arg(long)]
        jwks_uri: Option<String>,
        /// A claim it may request individually with the `claims` parameter (OIDC
        /// Core §5.5), beyond what its scopes release (e.g. `email`).
        #[arg(long = "requestable-claim")]
        requestable_claims: Vec<String>,
        /// An https URL where its signed request objects may be fetched (a
        /// `request_uri`, RFC 9101 §5.2); others are refused without a fetch.
        #[arg(long = "request-uri")]
        request_uris: Vec<String>,
        /// public (default) or pairwise (OpenID Connect Core §8: a `sub` per
        /// sector, the redirect URIs' one host).
        #[arg(long)]
        subject_type: Option<String>,
        /// How its ID tokens are signed: RS256 (the default OpenID Connect
        /// requires) or ES256 (a P-256 signature, ~15× cheaper to make).
        #[arg(long)]
        id_token_signed_response_alg: Option<String>,
        /// Encrypt its ID tokens to its key (with --jwks-uri): RSA-OAEP-256,
        /// RSA-OAEP, ECDH-ES, ECDH-ES+A128KW or ECDH-ES+A256KW.
        #[arg(long)]
        id_token_encrypted_response_alg: Option<String>,
        /// A128CBC-HS256 (default), A256CBC-HS512, A128GCM or A256GCM.
        #[arg(long)]
        id_token_encrypted_response_enc: Option<String>,
        /// Encrypt its userinfo responses to its key (as for ID tokens).
        #[arg(long)]
        userinfo_encrypted_response_alg: Option<String>,
        /// Its content encryption (default A128CBC-HS256).
        #[arg(long)]
        userinfo_encrypted_response_enc: Option<String>,
        /// RSA-OAEP-256: its request objects must be encrypted to the server's key.
        #[arg(long)]
        request_object_encryption_alg: Option<String>,
        /// Its content encryption (default A128CBC-HS256).
        #[arg(long)]
        request_object_encryption_enc: Option<String>,
    },
    /// Disable a client: its tokens stop working at once (every server sharing
    /// the database learns it from the change feed).
    Disable {
        #[arg(allow_hyphen_values = true)]
        client_id: String,
    },
    /// Enable a client again; for a self-registered client, its admission.
    Enable {
        #[arg(allow_hyphen_values = true)]
        client_id: String,
    },
    /// Move a client to `development` (only its team signs in; everyone else's
    /// refresh tokens stop at their next use) or to `production` (anyone may;
    /// counts as a review of the client as it is). Its team is notified.
    Stage {
        #[arg(allow_hyphen_values = true)]
        client_id: String,
        /// development or production
        stage: String,
        /// Why, told to the team and kept in the audit trail.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Delete a client: its tokens stop working at once.
    Delete {
        /// Ids made before 2026-11-30 may begin with '-': taken as the id, not a flag.
        #[arg(allow_hyphen_values = true)]
        client_id: String,
    },
}

pub(super) async fn client_command(
    settings: Settings,
    clock: Arc<dyn Clock>,
    cmd: ClientCommand,
) -> Result<(), String> {
    use domain::audit::Actor;
    use domain::clients::{self, ApplicationType, ClientPatch, NewClient};
    let db = open_database(&settings).await.map_err(|e| e.to_string())?;
    match cmd {
        ClientCommand::Add {
            name,
            application_type,
            redirect_uris,
            scopes,
            grants,
            email_domains,
            first_party,
            pre_authorized,
            post_logout_redirect_uris,
            allowed_origins,
            backchannel_logout_uri,
            frontchannel_logout_uri,
            frontchannel_logout_session_required,
            require_pushed_authorization_requests,
            dpop_bound_access_tokens,
            token_endpoint_auth_method,
            jwks_uri,
            requestable_claims,
            request_uris,
            subject_type,
            id_token_signed_response_alg,
            id_token_encrypted_response_alg,
            id_token_encrypted_response_enc,
            userinfo_encrypted_response_alg,
            userinfo_encrypted_response_enc,
            request_object_encryption_alg,
            request_object_encryption_enc,
        } => {
            let app = ApplicationType::parse(&application_type).ok_or_else(|| {
                format!("--type: must be web, native or service (got '{application_type}')")
            })?;
            let auth = match token_endpoint_auth_method.as_deref() {
                None => None,
                Some(m) => Some(domain::clients::AuthMethod::parse(m).ok_or_else(|| {
                    format!("--token-endpoint-auth-method: must be client_secret_basic, client_secret_post, private_key_jwt or none (got '{m}')")
                })?),
            };
            let subject_type = match subject_type.as_deref() {
                None => clients::SubjectType::Public,
                Some(s) => clients::SubjectType::parse(s).ok_or_else(|| {
                    format!("--subject-type: must be public or pairwise (got '{s}')")
                })?,
            };
            let id_token_alg = match id_token_signed_response_alg.as_deref() {
                None => None,
                Some(a) => Some(clients::SigningAlg::parse(a).ok_or_else(|| {
                    format!("--id-token-signed-response-alg: must be RS256 or ES256 (got '{a}')")
                })?),
            };
            let new = NewClient {
                subject_type,
                application_type: Some(app),
                metadata: ClientPatch {
                    token_endpoint_auth_method: auth,
                    jwks_uri: Some(jwks_uri),
                    name: Some(name),
                    redirect_uris: Some(redirect_uris),
                    grant_types: Some(grants),
                    post_logout_redirect_uris: Some(post_logout_redirect_uris),
                    allowed_origins: Some(allowed_origins),
                    request_uris: Some(request_uris),
                    backchannel_logout_uri: Some(backchannel_logout_uri),
                    frontchannel_logout_uri: Some(frontchannel_logout_uri),
                    frontchannel_logout_session_required: Some(
                        frontchannel_logout_session_required,
                    ),
                    require_pushed_authorization_requests: Some(
                        require_pushed_authorization_requests,
                    ),
                    dpop_bound_access_tokens: Some(dpop_bound_access_tokens),
                    id_token_signed_response_alg: id_token_alg,
                    encryption: domain::clients::EncryptionPatch {
                        id_token_encrypted_response_alg: Some(id_token_encrypted_response_alg),
                        id_token_encrypted_response_enc: Some(id_token_encrypted_response_enc),
                        userinfo_encrypted_response_alg: Some(userinfo_encrypted_response_alg),
                        userinfo_encrypted_response_enc: Some(userinfo_encrypted_response_enc),
                        request_object_encryption_alg: Some(request_object_encryption_alg),
                        request_object_encryption_enc: Some(request_object_encryption_enc),
                    },
                    ..Default::default()
                },
                scopes,
                allowed_email_domains: email_domains,
                first_party,
                pre_authorized,
                requestable_claims,
                ..Default::default()
            };
            let created = clients::create(
                &db,
                &PasswordHasher::new(),
                Actor::Operator,
                new,
                clock.now(),
            )
            .await
            .map_err(domain_err)?;
            println!("client_id: {}", created.client.id);
            if let Some(secret) = created.secret {
                println!("client_secret: {}", secret.expose());
                println!(
                    "Store the secret now: it is stored only as a hash and cannot be shown again."
                );
            }
        }
        ClientCommand::Disable { client_id } => {
            clients::set_disabled(&db, Actor::Operator, &client_id, true, clock.now())
                .await
                .map_err(domain_err)?;
            println!("disabled client {client_id}: its tokens stop working at once");
        }
        ClientCommand::Enable { client_id } => {
            clients::set_disabled(&db, Actor::Operator, &client_id, false, clock.now())
                .await
                .map_err(domain_err)?;
            println!("enabled client {client_id}");
        }
        ClientCommand::Stage {
            client_id,
            stage,
            reason,
        } => {
            let stage = clients::model::Stage::parse(&stage)
                .ok_or_else(|| format!("unknown stage {stage:?}: use development or production"))?;
            domain::portal::stage::set_stage_as_operator(
                &db,
                &client_id,
                stage,
                &reason,
                clock.now(),
            )
            .await
            .map_err(domain_err)?;
            println!("client {client_id} is in {} now", stage.as_str());
        }
        ClientCommand::Delete { client_id } => {
            clients::delete(&db, Actor::Operator, &client_id, clock.now())
                .await
                .map_err(domain_err)?;
            println!("deleted client {client_id}");
        }
    }
    Ok(())
}
