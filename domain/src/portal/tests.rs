//! The portal's rules on a real SQLite file, with time as a parameter: what applies
//! at once, what waits for a person, what a rule decides, and who may see what.
//! (The HTTP-level behaviour is covered by `server/tests/it/portal.rs`.)

use sea_orm::DatabaseConnection;

use super::access::{Who, MAX_EXTENSION_DAYS};
use super::decisions::{approve, reject};
use super::registration::{register, Registration};
use super::request::Request;
use super::request::{Ask, Status};
use super::requests::{request_extension, request_scopes as request_both};
use super::rules::store::{save as save_rule, RuleDraft};
use crate::accounts::manage::{create_user, NewUser};
use crate::accounts::users::{AdminCtx, Principal, Role, User};
use crate::clients::authenticate::SecretCache;
use crate::clients::metadata::ClientPatch;
use crate::clients::store::find;
use crate::platform::fetch::Documents;
use crate::platform::password::PasswordHasher;
use crate::platform::secret::SecretString;
use crate::settings::RuntimeSettings;
use crate::DomainError;

const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

struct World {
    _dir: tempfile::TempDir,
    db: DatabaseConnection,
    hasher: PasswordHasher,
    cache: SecretCache,
    admin: Who,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::platform::db::connect(&format!("sqlite://{}/t.db", dir.path().display()))
        .await
        .unwrap();
    crate::platform::db::migrate(&db).await.unwrap();
    let hasher = PasswordHasher::new();
    let op = AdminCtx::operator();
    let api = crate::apis::create_resource(&db, &op, "Reports", "https://reports.example", NOW)
        .await
        .unwrap();
    for (name, gated) in [
        ("reports:read", false),
        ("reports:write", true),
        ("reports:admin", true),
    ] {
        crate::apis::add_scope(&db, &op, &api.id, name, "Reports", gated, NOW)
            .await
            .unwrap();
    }
    let admin = person(&db, &hasher, "root", "root@example.org", Role::Admin).await;
    World {
        _dir: dir,
        db,
        hasher,
        cache: SecretCache::default(),
        admin: Who::new(Principal::proven(admin), None),
    }
}

async fn person(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    name: &str,
    email: &str,
    role: Role,
) -> User {
    create_user(
        db,
        hasher,
        &AdminCtx::operator(),
        NewUser {
            username: name.into(),
            email: email.into(),
            display_name: name.into(),
            password: SecretString::new("a long enough password"),
            role,
        },
        NOW,
    )
    .await
    .unwrap()
}

fn settings() -> RuntimeSettings {
    RuntimeSettings {
        third_party_oauth: true,
        access_token_secs: 600,
        refresh_token_secs: 86_400,
        allow_self_signup: false,
        default_client_scopes: vec!["openid".into()],
        default_client_lifetime_days: 365,
        personal_token_max_days: 90,
        second_factor_roles: vec![],
        require_dpop: false,
        metadata_documents: Default::default(),
        terms: None,
        new_clients_in_development: false,
        sandbox_scopes: vec![],
    }
}

impl World {
    async fn developer(&self, name: &str, email: &str) -> Who {
        Who::new(
            Principal::proven(person(&self.db, &self.hasher, name, email, Role::Developer).await),
            None,
        )
    }

    async fn web_client(&self, who: &Who) -> String {
        let reg = Registration {
            application_type: None,
            metadata: ClientPatch {
                name: Some("Notebook".into()),
                redirect_uris: Some(vec!["https://notebook.example/cb".into()]),
                grant_types: Some(vec!["authorization_code".into()]),
                ..Default::default()
            },
            allowed_email_domains: vec![],
            subject_type: Default::default(),
        };
        register(
            &self.db,
            &self.hasher,
            &Documents::offline(),
            who,
            &settings(),
            reg,
            NOW,
        )
        .await
        .unwrap()
        .client
        .id
    }

    async fn scopes(&self, id: &str) -> Vec<String> {
        find(&self.db, id).await.unwrap().unwrap().scopes
    }
}

/// The request that says what happens next (the gated scopes' when there are any).
async fn request_scopes(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    id: &str,
    scopes: &[String],
    justification: &str,
    now: i64,
) -> crate::DomainResult<Request> {
    request_both(db, cache, who, id, scopes, justification, now)
        .await
        .map(|r| r.request)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn a_new_client_gets_only_the_default_scopes_and_the_default_lifetime() {
    let w = world().await;
    let dev = w.developer("ada", "ada@example.edu").await;
    let id = w.web_client(&dev).await;
    let c = find(&w.db, &id).await.unwrap().unwrap();
    assert_eq!(c.scopes, strings(&["openid"]));
    assert_eq!(c.expires_at, Some(NOW + 365 * DAY));
    assert_eq!(c.owner_id.as_deref(), Some(dev.user.id.as_str()));
}

#[tokio::test]
async fn a_scope_that_needs_no_approval_is_granted_at_once_by_policy() {
    let w = world().await;
    let dev = w.developer("ada", "ada@example.edu").await;
    let id = w.web_client(&dev).await;
    let r = request_scopes(
        &w.db,
        &w.cache,
        &dev,
        &id,
        &strings(&["reports:read"]),
        "charts",
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(r.status, Status::Approved);
    assert_eq!(r.decider.as_ref().map(|d| d.kind.as_str()), Some("policy"));
    assert!(w.scopes(&id).await.contains(&"reports:read".to_owned()));
}

#[tokio::test]
async fn free_scopes_asked_with_gated_ones_are_added_at_once_and_only_the_gated_wait() {
    let w = world().await;
    let dev = w.developer("ada", "ada@example.edu").await;
    let id = w.web_client(&dev).await;
    // Nothing needs approval: no justification needed.
    let r = request_both(&w.db, &w.cache, &dev, &id, &strings(&["profile"]), "", NOW)
        .await
        .unwrap();
    assert_eq!(r.request.status, Status::Approved);
    assert!(r.at_once.is_none());
    // A gated scope needs one, and nothing is added without it.
    let asked = strings(&["reports:read", "reports:write"]);
    let e = request_both(&w.db, &w.cache, &dev, &id, &asked, " ", NOW).await;
    assert!(
        matches!(&e, Err(DomainError::Invalid { field, .. }) if *field == "justification"),
        "{e:?}"
    );
    assert!(!w.scopes(&id).await.contains(&"reports:read".to_owned()));

    let r = request_both(&w.db, &w.cache, &dev, &id, &asked, "charts", NOW)
        .await
        .unwrap();
    assert_eq!(r.request.status, Status::Pending);
    assert_eq!(
        r.request.ask,
        Ask::Scopes {
            scopes: strings(&["reports:write"])
        }
    );
    let at_once = r.at_once.unwrap();
    assert_eq!(at_once.status, Status::Approved);
    assert_eq!(at_once.granted, Some(strings(&["reports:read"])));
    let scopes = w.scopes(&id).await;
    assert!(scopes.contains(&"reports:read".to_owned()), "{scopes:?}");
    assert!(!scopes.contains(&"reports:write".to_owned()), "{scopes:?}");
}

#[tokio::test]
async fn gated_scopes_wait_and_a_partial_approval_grants_only_the_ticked_ones() {
    let w = world().await;
    let dev = w.developer("ada", "ada@example.edu").await;
    let id = w.web_client(&dev).await;
    let asked = strings(&["reports:write", "reports:admin"]);
    let r = request_scopes(&w.db, &w.cache, &dev, &id, &asked, "dashboards", NOW)
        .await
        .unwrap();
    assert_eq!(r.status, Status::Pending);
    assert!(!w.scopes(&id).await.contains(&"reports:write".to_owned()));

    let decided = approve(
        &w.db,
        &w.cache,
        &w.admin.as_admin().unwrap(),
        &r.id,
        Some(strings(&["reports:write"])),
        None,
        NOW + 60,
    )
    .await
    .unwrap();
    assert_eq!(decided.status, Status::Approved);
    assert_eq!(decided.granted, Some(strings(&["reports:write"])));
    assert_eq!(decided.decided_at, Some(NOW + 60));
    let scopes = w.scopes(&id).await;
    assert!(scopes.contains(&"reports:write".to_owned()), "{scopes:?}");
    assert!(!scopes.contains(&"reports:admin".to_owned()), "{scopes:?}");
}

#[tokio::test]
async fn a_request_is_decided_once() {
    let w = world().await;
    let dev = w.developer("ada", "ada@example.edu").await;
    let id = w.web_client(&dev).await;
    let r = request_scopes(
        &w.db,
        &w.cache,
        &dev,
        &id,
        &strings(&["reports:write"]),
        "x",
        NOW,
    )
    .await
    .unwrap();
    approve(
        &w.db,
        &w.cache,
        &w.admin.as_admin().unwrap(),
        &r.id,
        None,
        None,
        NOW,
    )
    .await
    .unwrap();
    let again = reject(
        &w.db,
        &w.cache,
        &w.admin.as_admin().unwrap(),
        &r.id,
        "changed my mind",
        NOW,
    )
    .await;
    assert!(matches!(again, Err(DomainError::Conflict(_))), "{again:?}");
    assert!(w.scopes(&id).await.contains(&"reports:write".to_owned()));
}

#[tokio::test]
async fn a_rejection_needs_a_reason_and_changes_nothing() {
    let w = world().await;
    let dev = w.developer("ada", "ada@example.edu").await;
    let id = w.web_client(&dev).await;
    let r = request_scopes(
        &w.db,
        &w.cache,
        &dev,
        &id,
        &strings(&["reports:write"]),
        "x",
        NOW,
    )
    .await
    .unwrap();
    let empty = reject(
        &w.db,
        &w.cache,
        &w.admin.as_admin().unwrap(),
        &r.id,
        "  ",
        NOW,
    )
    .await;
    assert!(
        matches!(empty, Err(DomainError::Invalid { .. })),
        "{empty:?}"
    );
    let done = reject(
        &w.db,
        &w.cache,
        &w.admin.as_admin().unwrap(),
        &r.id,
        "not for pilots",
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(done.status, Status::Rejected);
    assert_eq!(done.reason.as_deref(), Some("not for pilots"));
    assert!(!w.scopes(&id).await.contains(&"reports:write".to_owned()));
}

#[tokio::test]
async fn a_cel_rule_decides_by_who_asks() {
    let w = world().await;
    let admin = AdminCtx::for_principal(&w.admin.user).unwrap();
    save_rule(
        &w.db,
        &admin,
        &RuleDraft {
            scopes: vec!["reports:write".into()],
            approve_if: r#"developer.email.endsWith("@example.edu")"#.into(),
            reject_if: r#"developer.email.endsWith("@rival.example")"#.into(),
            reject_reason: "Rival organisations do not get write access.".into(),
            ..Default::default()
        },
        NOW,
    )
    .await
    .unwrap();
    let asked = strings(&["reports:write"]);

    let staff = w.developer("ada", "ada@example.edu").await;
    let id = w.web_client(&staff).await;
    let r = request_scopes(&w.db, &w.cache, &staff, &id, &asked, "x", NOW)
        .await
        .unwrap();
    assert_eq!(r.status, Status::Approved, "{r:?}");
    assert_eq!(r.decider.as_ref().map(|d| d.kind.as_str()), Some("rule"));

    let rival = w.developer("eve", "eve@rival.example").await;
    let id = w.web_client(&rival).await;
    let r = request_scopes(&w.db, &w.cache, &rival, &id, &asked, "x", NOW)
        .await
        .unwrap();
    assert_eq!(r.status, Status::Rejected, "{r:?}");
    assert_eq!(
        r.reason.as_deref(),
        Some("reports:write: Rival organisations do not get write access.")
    );

    let other = w.developer("bob", "bob@elsewhere.example").await;
    let id = w.web_client(&other).await;
    let r = request_scopes(&w.db, &w.cache, &other, &id, &asked, "x", NOW)
        .await
        .unwrap();
    assert_eq!(
        r.status,
        Status::Pending,
        "neither condition: a person decides"
    );
}

#[tokio::test]
async fn another_developers_client_is_not_found_and_only_administrators_decide() {
    let w = world().await;
    let ada = w.developer("ada", "ada@example.edu").await;
    let bob = w.developer("bob", "bob@example.edu").await;
    let id = w.web_client(&ada).await;
    let asked = strings(&["reports:write"]);
    let probe = request_scopes(&w.db, &w.cache, &bob, &id, &asked, "x", NOW).await;
    assert!(matches!(probe, Err(DomainError::NotFound)), "{probe:?}");

    let r = request_scopes(&w.db, &w.cache, &ada, &id, &asked, "x", NOW)
        .await
        .unwrap();
    // Deciding takes the administrator capability, which a developer's proven
    // identity does not give.
    for who in [&ada, &bob] {
        assert!(matches!(who.as_admin(), Err(DomainError::Forbidden)));
    }
    let pending = super::queue::find_request(&w.db, &ada, &r.id)
        .await
        .unwrap();
    assert_eq!(pending.status, Status::Pending);
    assert!(!w.scopes(&id).await.contains(&"reports:write".to_owned()));
}

#[tokio::test]
async fn an_extension_is_bounded_and_always_decided_by_a_person() {
    let w = world().await;
    let dev = w.developer("ada", "ada@example.edu").await;
    let id = w.web_client(&dev).await;
    let too_far = NOW + (MAX_EXTENSION_DAYS + 1) * DAY;
    let r = request_extension(&w.db, &dev, &id, too_far, "term", NOW).await;
    assert!(matches!(r, Err(DomainError::Invalid { .. })), "{r:?}");

    let wanted = NOW + 500 * DAY;
    let r = request_extension(&w.db, &dev, &id, wanted, "term", NOW)
        .await
        .unwrap();
    assert_eq!(r.status, Status::Pending);
    assert!(matches!(r.ask, Ask::Extension { expires_at, .. } if expires_at == wanted));
    approve(
        &w.db,
        &w.cache,
        &w.admin.as_admin().unwrap(),
        &r.id,
        None,
        None,
        NOW,
    )
    .await
    .unwrap();
    let c = find(&w.db, &id).await.unwrap().unwrap();
    assert_eq!(c.expires_at, Some(wanted));
}

#[path = "tests_team.rs"]
mod team;
