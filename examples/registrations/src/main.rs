//! `registrations`: the example API on a port, against a running Portcullis.
//!
//! ```sh
//! cargo run -p registrations -- --issuer http://127.0.0.1:3000 \
//!     --department CLIENT_ID=Engineering
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use portcullis_verifier::Verifier;
use registrations::{metadata_url, router, Config};

#[derive(Parser, Debug)]
#[command(
    name = "registrations",
    about = "Example API protected by Portcullis access tokens"
)]
struct Args {
    /// The Portcullis issuer URL.
    #[arg(
        long,
        env = "REGISTRATIONS_ISSUER",
        default_value = "http://127.0.0.1:3000"
    )]
    issuer: String,
    /// Address to listen on.
    #[arg(long, env = "REGISTRATIONS_BIND", default_value = "127.0.0.1:4000")]
    bind: SocketAddr,
    /// This API's identifier (its audience in Portcullis); default http://BIND.
    #[arg(long, env = "REGISTRATIONS_RESOURCE")]
    resource: Option<String>,
    /// Which department an application works for: CLIENT_ID=DEPARTMENT (repeat).
    #[arg(long = "department", value_parser = parse_department)]
    departments: Vec<(String, String)>,
    /// Check every token by introspection as this (confidential) client.
    #[arg(
        long,
        env = "REGISTRATIONS_INTROSPECT_CLIENT_ID",
        requires = "introspect_client_secret"
    )]
    introspect_client_id: Option<String>,
    /// Its secret (prefer the environment variable: it stays out of `ps`).
    #[arg(
        long,
        env = "REGISTRATIONS_INTROSPECT_CLIENT_SECRET",
        hide_env_values = true
    )]
    introspect_client_secret: Option<String>,
    /// How long an introspection answer is reused, in seconds.
    #[arg(long, default_value_t = 10)]
    introspection_cache_secs: u64,
}

fn parse_department(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((c, d)) if !c.is_empty() && !d.is_empty() => Ok((c.to_owned(), d.to_owned())),
        _ => Err("expected CLIENT_ID=DEPARTMENT".to_owned()),
    }
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    if let Err(e) = run(Args::parse()).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let resource = args
        .resource
        .unwrap_or_else(|| format!("http://{}", args.bind));
    let mut builder = Verifier::builder(&args.issuer, &resource)
        .resource_metadata(metadata_url(&resource))
        .introspection_cache_ttl(Duration::from_secs(args.introspection_cache_secs));
    if let (Some(id), Some(secret)) = (args.introspect_client_id, args.introspect_client_secret) {
        builder = builder.introspection(id, secret);
    }
    let verifier = builder.build().await?;
    let departments: HashMap<String, String> = args.departments.into_iter().collect();
    if departments.is_empty() {
        tracing::warn!("no --department given: every application will be refused");
    }
    let app = router(
        Config {
            resource: resource.clone(),
            authorization_server: verifier.issuer().to_owned(),
            departments,
        },
        &verifier,
    );
    let listener = tokio::net::TcpListener::bind(args.bind).await?;
    tracing::info!(
        %resource,
        issuer = verifier.issuer(),
        introspection = verifier.introspects(),
        "registrations API listening on http://{}",
        listener.local_addr()?
    );
    axum::serve(listener, app).await?;
    Ok(())
}
