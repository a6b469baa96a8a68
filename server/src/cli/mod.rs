//! `portcullis [--config FILE] <serve|migrate|user …>`. With no subcommand it serves
//! (so `cargo leptos serve` works). Every error is one line on stderr and a
//! non-zero exit; never a panic backtrace.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use domain::accounts::{self, AdminCtx, FirstAdmin, NewUser, Role};
use domain::platform::password::PasswordHasher;
use domain::platform::secret::SecretString;
use domain::{Clock, SystemClock};

use crate::settings::Settings;

mod clients;
mod registration;
use crate::startup::{one_line, open_database, Application};
pub use clients::ClientCommand;

#[derive(Parser, Debug)]
#[command(
    name = "portcullis",
    version,
    about = "OAuth 2.1 / OpenID Connect server with a developer portal"
)]
pub struct Cli {
    /// Settings file (TOML). `PORTCULLIS_*` environment variables override it.
    #[arg(long, short, env = "PORTCULLIS_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Migrate the database, create the first administrator if needed, and serve.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage APIs (resource servers) and their scopes.
    #[command(subcommand)]
    Api(ApiCommand),
    /// Manage OAuth clients.
    /// (Boxed: `client add` has many options, the other commands few.)
    #[command(subcommand)]
    Client(Box<ClientCommand>),
    /// Inspect the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Dynamic client registration (RFC 7591): the mode and initial access tokens.
    #[command(subcommand)]
    Registration(registration::RegistrationCommand),
    /// Allow or forbid third-party (not first-party) applications to use OAuth.
    ThirdPartyOauth {
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Re-compute the audit log's hash chain and name the first event that was
    /// altered, inserted or deleted (exit status 1 when there is one).
    Verify,
}

#[derive(Subcommand, Debug)]
pub enum ApiCommand {
    /// Register an API; tokens for it carry its identifier in `aud`.
    Add {
        #[arg(long)]
        name: String,
        /// The API identifier (an absolute URI), e.g. https://api.example.edu/registrations
        #[arg(long)]
        audience: String,
    },
    /// Add a scope to an API.
    AddScope {
        /// The API identifier.
        #[arg(long)]
        api: String,
        #[arg(long)]
        name: String,
        /// Shown to people on consent screens, in plain words.
        #[arg(long)]
        description: String,
        /// Clients must ask an administrator before they may request it.
        #[arg(long)]
        requires_approval: bool,
    },
    /// Name the clients (the API's resource servers) that may introspect its
    /// tokens, replacing the list; none given clears it.
    SetIntrospectors {
        /// The API identifier.
        #[arg(long)]
        api: String,
        /// Client ids of confidential clients.
        #[arg(allow_hyphen_values = true)]
        clients: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account. The password is read from standard input when it is not a
    /// terminal; otherwise one is generated and printed once.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        display_name: String,
        /// user, developer or admin
        #[arg(long, default_value = "user")]
        role: String,
    },
    /// Change an account's role (user, developer, admin).
    SetRole { user: String, role: String },
    /// Set a new password (read from standard input, or generated and printed) and end the account's sessions.
    SetPassword { user: String },
    /// Reset an account's two-step sign-in (a lost phone): its authenticator app
    /// and recovery codes stop working; the person is told by e-mail.
    ResetSecondFactor { user: String },
    /// List accounts.
    List {
        #[arg(long, default_value = "")]
        search: String,
    },
}

pub fn main() -> ExitCode {
    // A panic anywhere becomes one line, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("unexpected internal error");
        eprintln!("error: internal error: {}", one_line(msg));
    }));

    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            let first = e
                .to_string()
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ")
                .to_owned();
            eprintln!("error: {first} (see `portcullis --help`)");
            return ExitCode::from(2);
        }
    };

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {}", one_line(&msg));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let settings = Settings::load(cli.config.as_deref()).map_err(|e| e.to_string())?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings, clock).await,
        Command::Migrate => {
            open_database(&settings).await.map_err(|e| e.to_string())?;
            println!("database is up to date");
            Ok(())
        }
        Command::User(cmd) => user_command(settings, clock, cmd).await,
        Command::Api(cmd) => api_command(settings, clock, cmd).await,
        Command::Client(cmd) => clients::client_command(settings, clock, *cmd).await,
        Command::Registration(cmd) => {
            registration::registration_command(settings, clock, cmd).await
        }
        Command::Audit(AuditCommand::Verify) => {
            let db = open_database(&settings).await.map_err(|e| e.to_string())?;
            match domain::audit::verify(&db).await.map_err(domain_err)? {
                v @ domain::audit::Verification::Intact { .. } => {
                    println!("{v}");
                    Ok(())
                }
                broken => Err(broken.to_string()),
            }
        }
        Command::ThirdPartyOauth { state } => {
            let db = open_database(&settings).await.map_err(|e| e.to_string())?;
            let on = state == "on";
            domain::settings::set_bool(
                &db,
                &AdminCtx::operator(),
                domain::settings::THIRD_PARTY_OAUTH,
                on,
                clock.now(),
            )
            .await
            .map_err(domain_err)?;
            println!(
                "third-party applications may {}use OAuth",
                if on { "" } else { "not " }
            );
            Ok(())
        }
    }
}

async fn serve(settings: Settings, clock: Arc<dyn Clock>) -> Result<(), String> {
    crate::telemetry::init(&settings.log);
    let db = open_database(&settings).await.map_err(|e| e.to_string())?;
    let issuer = settings.issuer.clone();
    let (admin_username, admin_email, admin_password) = (
        settings.admin_username.clone(),
        settings.admin_email.clone(),
        settings.admin_password.clone(),
    );
    // Bind before creating the first administrator, so a busy port fails before a
    // generated password is printed.
    let app = Application::build_with_db(settings, clock.clone(), db.clone())
        .await
        .map_err(|e| e.to_string())?;
    let hasher = PasswordHasher::new();
    let first = accounts::ensure_first_admin(
        &db,
        &hasher,
        &admin_username,
        &admin_email,
        admin_password,
        clock.now(),
    )
    .await
    .map_err(|e| format!("cannot create the first administrator: {e}"))?;
    match first {
        FirstAdmin::Existing => {}
        FirstAdmin::CreatedWithGivenPassword { username } => {
            println!("Created the first administrator '{username}' with the password from PORTCULLIS_ADMIN_PASSWORD.");
        }
        FirstAdmin::CreatedWithGeneratedPassword { username, password } => {
            // Printed once, to the terminal only (not through the logger).
            println!(
                "Created the first administrator '{username}' with the generated password: {}",
                password.expose()
            );
            println!("Store it now; it is not shown again. Change it with `portcullis user set-password {username}`.");
        }
    }
    tracing::info!(addr = %app.local_addr(), %issuer, "Portcullis is listening");
    println!("Portcullis is serving at http://{}", app.local_addr());
    app.run_until_stopped()
        .await
        .map_err(|e| format!("server stopped: {e}"))
}

fn read_password_or_generate() -> Result<(SecretString, bool), String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok((
            SecretString::new(domain::platform::secret::random_password()),
            true,
        ));
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let pw = line.trim_end_matches(['\r', '\n']).to_owned();
    if pw.is_empty() {
        Ok((
            SecretString::new(domain::platform::secret::random_password()),
            true,
        ))
    } else {
        Ok((SecretString::new(pw), false))
    }
}

async fn user_command(
    settings: Settings,
    clock: Arc<dyn Clock>,
    cmd: UserCommand,
) -> Result<(), String> {
    let db = open_database(&settings).await.map_err(|e| e.to_string())?;
    let hasher = PasswordHasher::new();
    let ctx = AdminCtx::operator();
    let now = clock.now();
    let err = |e: domain::DomainError| match e {
        domain::DomainError::NotFound => "no such user".to_owned(),
        other => other.to_string(),
    };
    match cmd {
        UserCommand::Add {
            username,
            email,
            display_name,
            role,
        } => {
            let role = Role::parse(&role).map_err(err)?;
            let (password, generated) = read_password_or_generate()?;
            let new = NewUser {
                username,
                email,
                display_name,
                password: password.clone(),
                role,
            };
            let u = accounts::create_user(&db, &hasher, &ctx, new, now)
                .await
                .map_err(err)?;
            println!("created {} ({}) as {}", u.username, u.id, u.role.as_str());
            if generated {
                println!("generated password: {}", password.expose());
            }
        }
        UserCommand::SetRole { user, role } => {
            let role = Role::parse(&role).map_err(err)?;
            let u = accounts::set_role(&db, &ctx, &user, role, now)
                .await
                .map_err(err)?;
            println!("{} is now {}", u.username, u.role.as_str());
        }
        UserCommand::SetPassword { user } => {
            let (password, generated) = read_password_or_generate()?;
            // The CLI is a process of its own: a running server learns of the
            // revocations from the database (and refuses the old tokens already
            // by the account's `tokens_valid_after`).
            let revocations = domain::oauth::access_tokens::RevocationMirror::new(
                std::time::Duration::ZERO,
                clock.clone(),
            );
            let u = accounts::set_password(&db, &revocations, &hasher, &ctx, &user, &password, now)
                .await
                .map_err(err)?;
            println!(
                "password of {} changed; their sessions were ended",
                u.username
            );
            if generated {
                println!("generated password: {}", password.expose());
            }
        }
        UserCommand::ResetSecondFactor { user } => {
            let u = domain::accounts::second_factor::account::reset(&db, &ctx, &user, now)
                .await
                .map_err(err)?;
            println!(
                "two-step sign-in of {} was reset; they were told by e-mail",
                u.username
            );
        }
        UserCommand::List { search } => {
            let mut page = 1;
            println!(
                "{:<24} {:<32} {:<10} {:<8} id",
                "username", "email", "role", "status"
            );
            loop {
                let p = accounts::list(&db, &search, page, 200).await.map_err(err)?;
                for u in &p.items {
                    let status = if u.disabled { "disabled" } else { "active" };
                    println!(
                        "{:<24} {:<32} {:<10} {:<8} {}",
                        u.username,
                        u.email,
                        u.role.as_str(),
                        status,
                        u.id
                    );
                }
                if page >= p.pages() {
                    break;
                }
                page += 1;
            }
        }
    }
    Ok(())
}

fn domain_err(e: domain::DomainError) -> String {
    match e {
        domain::DomainError::NotFound => "not found".to_owned(),
        other => other.to_string(),
    }
}

async fn api_command(
    settings: Settings,
    clock: Arc<dyn Clock>,
    cmd: ApiCommand,
) -> Result<(), String> {
    use domain::apis;
    let db = open_database(&settings).await.map_err(|e| e.to_string())?;
    let ctx = AdminCtx::operator();
    match cmd {
        ApiCommand::Add { name, audience } => {
            let r = apis::create_resource(&db, &ctx, &name, &audience, clock.now())
                .await
                .map_err(domain_err)?;
            println!("registered API {} ({})", r.name, r.audience);
        }
        ApiCommand::AddScope {
            api,
            name,
            description,
            requires_approval,
        } => {
            let r = apis::find_resource_by_audience(&db, &api)
                .await
                .map_err(domain_err)?
                .ok_or_else(|| format!("no API with the identifier {api}"))?;
            let s = apis::add_scope(
                &db,
                &ctx,
                &r.id,
                &name,
                &description,
                requires_approval,
                clock.now(),
            )
            .await
            .map_err(domain_err)?;
            println!("added scope {} to {}", s.name, r.audience);
        }
        ApiCommand::SetIntrospectors { api, clients } => {
            let r = apis::find_resource_by_audience(&db, &api)
                .await
                .map_err(domain_err)?
                .ok_or_else(|| format!("no API with the identifier {api}"))?;
            let now = apis::set_introspectors(&db, &ctx, &r.id, &clients, clock.now())
                .await
                .map_err(domain_err)?;
            match now.is_empty() {
                true => println!(
                    "only a token's own client may introspect {} tokens",
                    r.audience
                ),
                false => println!(
                    "{} tokens may be introspected by {}",
                    r.audience,
                    now.join(", ")
                ),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{ApiCommand, Cli, ClientCommand, Command};

    /// Client ids made before ids stopped beginning with '-' still work as arguments.
    #[test]
    fn a_client_id_beginning_with_a_hyphen_is_an_id_not_a_flag() {
        let cli = Cli::try_parse_from(["portcullis", "client", "delete", "-Qx3b_Yz"]).unwrap();
        match cli.command {
            Some(Command::Client(cmd)) if matches!(*cmd, ClientCommand::Delete { .. }) => {
                let ClientCommand::Delete { client_id } = *cmd else {
                    unreachable!()
                };
                assert_eq!(client_id, "-Qx3b_Yz")
            }
            other => panic!("{other:?}"),
        }
        let cli = Cli::try_parse_from([
            "portcullis",
            "api",
            "set-introspectors",
            "--api",
            "https://api.example.edu",
            "-Qx3b_Yz",
            "abc",
        ])
        .unwrap();
        match cli.command {
            Some(Command::Api(ApiCommand::SetIntrospectors { clients, .. })) => {
                assert_eq!(clients, ["-Qx3b_Yz", "abc"])
            }
            other => panic!("{other:?}"),
        }
    }
}
