//! Issue 13, "a client starts in development": on for a new installation (the
//! settings file's `new_clients_in_development` defaults to on); an upgraded
//! database that already held clients keeps the old way (migration m0048 writes
//! the setting down as off); an administrator's choice survives the upgrade.

use domain::settings::{self, FileDefaults};

use sea_orm::{ConnectionTrait, Statement};
use server::settings::Settings;

use crate::helpers::*;

const CALLBACK: &str = "https://planner.example.edu/cb";

#[tokio::test]
async fn with_the_default_settings_a_developers_new_client_starts_in_development() {
    // The harness turns the setting off for every other test; this server runs with
    // what an operator who says nothing gets.
    let default = Settings::default().new_clients_in_development;
    let app = spawn_app_with(|s| s.new_clients_in_development = default).await;
    let (_, olga) = Api::developer(&app, "olga").await;
    let created = olga.register_web_client("Planner", CALLBACK).await;
    assert_eq!(created["stage"], "development", "{created}");

    // An administrator's own client is its own review.
    let admin = Api::admin(&app).await;
    let theirs = admin.register_web_client("Registrar", CALLBACK).await;
    assert_eq!(theirs["stage"], "production", "{theirs}");

    // An administrator may still turn it off for everyone's next client.
    change_settings(&app, |s| {
        assert!(s.new_clients_in_development, "in force before the change");
        s.new_clients_in_development = false;
    })
    .await;
    let later = olga.register_web_client("Planner 2", CALLBACK).await;
    assert_eq!(later["stage"], "production", "{later}");
}

const DEFAULTS: FileDefaults = FileDefaults {
    access_token_secs: 300,
    refresh_token_secs: 30 * 86_400,
    allow_self_signup: false,
    require_dpop: false,
    new_clients_in_development: true,
};

/// A database with `clients` clients registered on it, upgraded to the version
/// that changed the default; what is in force after. (The clients are made by
/// today's code on today's schema; m0048 is then marked as not yet applied, as it
/// was on a database from before it, and applied.)
async fn upgraded(clients: usize, admin_choice: Option<&str>) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let db = domain::platform::db::connect(&url).await.unwrap();
    domain::platform::db::migrate(&db).await.unwrap();
    for i in 0..clients {
        let new = domain::clients::NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some(format!("Old app {i}")),
                redirect_uris: Some(vec![CALLBACK.into()]),
                ..Default::default()
            },
            ..Default::default()
        };
        domain::clients::create(
            &db,
            &domain::platform::password::PasswordHasher::new(),
            domain::audit::Actor::Operator,
            new,
            START,
        )
        .await
        .unwrap();
    }
    for undo in [
        "DELETE FROM seaql_migrations WHERE version = 'm0048_development_by_default'",
        "DELETE FROM server_settings WHERE key = 'new_clients_in_development'",
    ] {
        db.execute_raw(Statement::from_string(db.get_database_backend(), undo))
            .await
            .unwrap();
    }
    if let Some(value) = admin_choice {
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "INSERT INTO server_settings (key, value, updated_at) \
                 VALUES ('new_clients_in_development', '{value}', {START})"
            ),
        ))
        .await
        .unwrap();
    }
    domain::platform::db::migrate(&db).await.unwrap();
    settings::load(&db, DEFAULTS)
        .await
        .unwrap()
        .new_clients_in_development
}

#[tokio::test]
async fn an_upgrade_keeps_new_clients_in_production_where_clients_already_exist() {
    assert!(
        !upgraded(2, None).await,
        "a database with clients keeps the behaviour it had"
    );
    assert!(
        upgraded(0, None).await,
        "a database without clients follows the settings file"
    );
    assert!(
        upgraded(1, Some("true")).await,
        "an administrator's choice stays"
    );
}
