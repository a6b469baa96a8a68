//! `portcullis registration …`: the dynamic registration mode (RFC 7591) and the
//! initial access tokens administrators mint for the `token` mode.

use std::sync::Arc;

use clap::Subcommand;
use domain::accounts::AdminCtx;
use domain::clients::initial_tokens;
use domain::settings::RegistrationMode;
use domain::Clock;

use super::domain_err;
use crate::settings::Settings;
use crate::startup::open_database;

#[derive(Subcommand, Debug)]
pub enum RegistrationCommand {
    /// Who may register clients at /oauth/register: off (the default), open, or
    /// token (an initial access token is required).
    Mode {
        #[arg(value_parser = ["off", "open", "token"])]
        mode: String,
    },
    /// Mint an initial access token; it is printed once.
    MintToken {
        /// What the token is for (shown to administrators).
        #[arg(long)]
        label: String,
        /// How many registrations it allows.
        #[arg(long, default_value_t = 1)]
        max_uses: i64,
        /// Days until it expires.
        #[arg(long, default_value_t = 7)]
        days: i64,
    },
    /// List the initial access tokens (never the tokens themselves).
    Tokens,
    /// Revoke an initial access token by its id.
    RevokeToken { id: String },
    /// Client ID metadata documents (a client_id that is an https URL): show the
    /// settings, or turn them on or off.
    Documents {
        #[arg(value_parser = ["on", "off"])]
        state: Option<String>,
    },
    /// Admit the clients of this host's metadata documents at once.
    TrustHost { host: String },
    /// Stop admitting this host's metadata documents' clients at once.
    UntrustHost { host: String },
    /// Only HOST (or its subdomains) may name a client NAME (case, spaces and
    /// punctuation ignored); any other host's document so named is never
    /// admitted at once and is flagged on /admin/clients.
    ProtectName { name: String, host: String },
    /// Remove a protected name.
    UnprotectName { name: String },
}

pub async fn registration_command(
    settings: Settings,
    clock: Arc<dyn Clock>,
    cmd: RegistrationCommand,
) -> Result<(), String> {
    let db = open_database(&settings).await.map_err(|e| e.to_string())?;
    let ctx = AdminCtx::operator();
    let now = clock.now();
    let mut docs = domain::settings::metadata_documents(&db)
        .await
        .map_err(domain_err)?;
    let mut change_documents = true;
    let documents_command = !matches!(
        cmd,
        RegistrationCommand::Mode { .. }
            | RegistrationCommand::MintToken { .. }
            | RegistrationCommand::Tokens
            | RegistrationCommand::RevokeToken { .. }
    );
    match cmd {
        RegistrationCommand::Documents { state } => match state.as_deref() {
            Some(s) => docs.enabled = s == "on",
            None => change_documents = false,
        },
        RegistrationCommand::TrustHost { host } => docs.trusted_hosts.push(host),
        RegistrationCommand::UntrustHost { host } => {
            let h = host.trim().to_ascii_lowercase();
            docs.trusted_hosts.retain(|t| *t != h);
        }
        RegistrationCommand::ProtectName { name, host } => {
            docs.protected_names
                .push(domain::settings::ProtectedName { name, host });
        }
        RegistrationCommand::UnprotectName { name } => {
            docs.protected_names
                .retain(|p| !p.name.eq_ignore_ascii_case(name.trim()));
        }
        other => {
            change_documents = false;
            tokens_command(&db, &ctx, now, other).await?;
        }
    }
    if change_documents {
        docs = domain::settings::set_metadata_documents(&db, &ctx, docs, now)
            .await
            .map_err(domain_err)?;
    }
    if documents_command {
        let on = if docs.enabled { "on" } else { "off" };
        println!("client ID metadata documents: {on}");
        println!("trusted hosts: {}", docs.trusted_hosts.join(" "));
        for p in &docs.protected_names {
            println!("protected name: {}\t{}", p.name, p.host);
        }
    }
    Ok(())
}

async fn tokens_command(
    db: &domain::platform::db::Db,
    ctx: &AdminCtx,
    now: i64,
    cmd: RegistrationCommand,
) -> Result<(), String> {
    match cmd {
        RegistrationCommand::Mode { mode } => {
            let m = RegistrationMode::parse(&mode).ok_or("unknown mode")?;
            domain::settings::set_registration_mode(db, ctx, m, now)
                .await
                .map_err(domain_err)?;
            println!("dynamic client registration: {}", m.as_str());
        }
        RegistrationCommand::MintToken {
            label,
            max_uses,
            days,
        } => {
            let (t, secret) =
                initial_tokens::mint(db, ctx, &label, max_uses, days.saturating_mul(86_400), now)
                    .await
                    .map_err(domain_err)?;
            println!("id: {}", t.id);
            println!("token (shown once): {}", secret.expose());
        }
        RegistrationCommand::Tokens => {
            for t in initial_tokens::list(db, ctx).await.map_err(domain_err)? {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else if t.expires_at <= now {
                    "expired"
                } else if t.uses >= t.max_uses {
                    "used up"
                } else {
                    "active"
                };
                println!(
                    "{}\t{}\t{}/{} uses\texpires {}\t{}",
                    t.id, state, t.uses, t.max_uses, t.expires_at, t.label
                );
            }
        }
        RegistrationCommand::RevokeToken { id } => {
            initial_tokens::revoke(db, ctx, &id, now)
                .await
                .map_err(domain_err)?;
            println!("revoked {id}");
        }
        // Handled by `registration_command`.
        RegistrationCommand::Documents { .. }
        | RegistrationCommand::TrustHost { .. }
        | RegistrationCommand::UntrustHost { .. }
        | RegistrationCommand::ProtectName { .. }
        | RegistrationCommand::UnprotectName { .. } => {}
    }
    Ok(())
}
