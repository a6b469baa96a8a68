//! Registering and editing clients in the portal: least privilege, the secret shown
//! once, field errors, others' clients not found, approval-gated fields.

use domain::accounts::Role;
use domain::clients::GrantType;

use crate::helpers::*;

pub(crate) async fn detail(b: &Browser, id: &str) -> Reply {
    b.get(&format!("/api/portal/client?id={id}")).await
}

/// Asks for scopes through the portal; returns where the form redirects to.
pub(crate) async fn ask_scopes(b: &Browser, id: &str, scopes: &[&str], why: &str) -> Reply {
    let mut fields = vec![("id", id), ("justification", why)];
    fields.extend(scopes.iter().map(|s| ("scopes[]", *s)));
    b.post("/api/portal/request_scopes", &fields).await
}

#[tokio::test]
async fn a_developer_registers_clients_with_least_privilege_and_sees_the_secret_once() {
    let app = spawn_app().await;
    let dev = developer(&app, "ada").await;
    let web = register_in_portal(&dev, "Notebook", "web", "https://notebook.example.edu/cb").await;

    let first = detail(&dev, &web).await.json();
    let secret = first["new_secret"].as_str().expect("secret shown once");
    assert!(secret.len() >= 43, "256 bits, base64url");
    assert_eq!(first["client"]["scopes"], serde_json::json!(["openid"]));
    assert_eq!(first["client"]["owner"], "ada");
    // Registrations expire after the default 365 days.
    assert_eq!(
        first["client"]["days_left"].as_i64(),
        Some(365),
        "{}",
        first["client"]
    );
    let again = detail(&dev, &web).await.json();
    assert!(again["new_secret"].is_null(), "shown exactly once");
    assert!(!again.to_string().contains(secret));

    // Service clients get no scopes at all (seed 003).
    let svc = register_in_portal(&dev, "Meeting bot", "service", "").await;
    let d = detail(&dev, &svc).await.json();
    assert_eq!(d["client"]["scopes"], serde_json::json!([]));
    let secret = d["new_secret"].as_str().unwrap();
    let (status, body) = cc_token(&app, &svc, secret, None).await;
    assert_eq!(status, 200, "{body}");

    // The list shows the developer's clients only, paginated.
    let list = dev.get("/api/portal/clients?sort=name").await.json();
    assert_eq!(list["total"], 2);
    assert_eq!(list["clients"][0]["name"], "Meeting bot");
    let other = developer(&app, "bob").await;
    assert_eq!(other.get("/api/portal/clients").await.json()["total"], 0);

    // The defaults are the administrators' run-time settings.
    for (key, value) in [
        (domain::settings::DEFAULT_CLIENT_SCOPES, "openid profile"),
        (domain::settings::DEFAULT_CLIENT_LIFETIME_DAYS, "30"),
    ] {
        use sea_orm::{ActiveModelTrait, Set};
        domain::entities::server_setting::ActiveModel {
            key: Set(key.into()),
            value: Set(value.into()),
            updated_at: Set(START),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let id = register_in_portal(&dev, "Profiles", "web", "https://p.example/cb").await;
    let c = detail(&dev, &id).await.json()["client"].clone();
    assert_eq!(c["scopes"], serde_json::json!(["openid", "profile"]));
    assert_eq!(c["days_left"].as_i64(), Some(30));

    let types = app.audit_types().await;
    assert_eq!(types.iter().filter(|t| *t == "client.created").count(), 3);
}

#[tokio::test]
async fn invalid_registrations_name_the_field_and_create_nothing() {
    let app = spawn_app().await;
    let dev = developer(&app, "ada").await;
    let before = app.count("clients").await;
    for (fields, field) in [
        (
            vec![
                ("name", ""),
                ("application_type", "web"),
                ("redirect_uris", "https://a.example/cb"),
            ],
            "name",
        ),
        (
            vec![
                ("name", "A"),
                ("application_type", "web"),
                ("redirect_uris", "http://a.example/cb"),
            ],
            "redirect_uris",
        ),
        (
            vec![
                ("name", "A"),
                ("application_type", "web"),
                ("redirect_uris", "https://a.example/cb#x"),
            ],
            "redirect_uris",
        ),
        (
            vec![
                ("name", "A"),
                ("application_type", "web"),
                ("redirect_uris", "https://*.a.example/cb"),
            ],
            "wildcard",
        ),
        (
            vec![
                ("name", "A"),
                ("application_type", "web"),
                ("redirect_uris", "https://a.example/cb"),
                ("logo_uri", "javascript:alert(1)"),
            ],
            "logo_uri",
        ),
        (
            vec![
                ("name", "A"),
                ("application_type", "web"),
                ("redirect_uris", "https://a.example/cb"),
                ("contacts", "not-an-email"),
            ],
            "contacts",
        ),
        (
            vec![("name", "A"), ("application_type", "robot")],
            "application_type",
        ),
    ] {
        let r = dev.post("/api/portal/create_client", &fields).await;
        assert!(r.status >= 400, "{fields:?}");
        assert!(r.body.contains(field), "{field}: {}", r.body);
    }
    // Loopback http is fine for development.
    register_in_portal(&dev, "Local", "web", "http://127.0.0.1:8080/cb").await;
    assert_eq!(app.count("clients").await, before + 1);

    // End users cannot register clients.
    create_user(&app.db, "eve", Role::User).await;
    let eve = app.browser();
    eve.sign_in("eve", ADMIN_PASSWORD).await;
    let r = eve
        .post(
            "/api/portal/create_client",
            &[("name", "X"), ("application_type", "service")],
        )
        .await;
    assert!(
        r.status >= 400 && r.body.contains("Forbidden"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn others_clients_are_not_found_for_every_operation() {
    let app = spawn_app().await;
    let ada = developer(&app, "ada").await;
    let id = register_in_portal(&ada, "Notebook", "web", "https://n.example/cb").await;
    let bob = developer(&app, "bob").await;

    assert!(detail(&bob, &id).await.body.contains("NotFound"));
    for (path, fields) in [
        (
            "/api/portal/update_client",
            vec![("id", id.as_str()), ("name", "Stolen")],
        ),
        (
            "/api/portal/rotate_secret",
            vec![("id", id.as_str()), ("overlap", "none")],
        ),
        (
            "/api/portal/delete_client",
            vec![("id", id.as_str()), ("confirm_name", "Notebook")],
        ),
        (
            "/api/portal/set_enabled",
            vec![
                ("id", id.as_str()),
                ("enabled", "false"),
                ("confirm", "yes"),
            ],
        ),
        (
            "/api/portal/request_scopes",
            vec![
                ("id", id.as_str()),
                ("scopes[]", "profile"),
                ("justification", "x"),
            ],
        ),
        (
            "/api/portal/remove_scope",
            vec![("id", id.as_str()), ("scope", "openid")],
        ),
    ] {
        let r = bob.post(path, &fields).await;
        assert!(
            r.status >= 400 && r.body.contains("NotFound"),
            "{path}: {} {}",
            r.status,
            r.body
        );
    }
    let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
    assert_eq!(c.metadata.name, "Notebook");
    assert!(!c.disabled);
    // The administrator sees it.
    let adm = signed_in(&app, "admin").await;
    assert_eq!(detail(&adm, &id).await.json()["client"]["name"], "Notebook");
}

#[tokio::test]
async fn approval_gated_fields_become_requests_and_direct_fields_apply() {
    let app = spawn_app().await;
    let dev = developer(&app, "ada").await;
    let id = register_in_portal(&dev, "Notebook", "web", "https://n.example/cb").await;

    // Gated change without a justification: refused, nothing changes.
    let r = dev
        .post(
            "/api/portal/update_client",
            &[
                ("id", &id),
                ("name", "Renamed"),
                ("redirect_uris", "https://n.example/cb"),
                ("password_grant", "on"),
            ],
        )
        .await;
    assert!(
        r.status >= 400 && r.body.contains("justification"),
        "{}",
        r.body
    );
    let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
    assert_eq!(c.metadata.name, "Notebook");

    let r = dev
        .post(
            "/api/portal/update_client",
            &[
                ("id", &id),
                ("name", "Renamed"),
                (
                    "redirect_uris",
                    "https://n.example/cb\nhttps://n.example/cb2",
                ),
                ("grant_refresh_token", "on"),
                ("password_grant", "on"),
                ("refresh_token_days", "90"),
                ("justification", "Legacy kiosk needs the password grant"),
            ],
        )
        .await;
    assert!(
        r.location()
            .unwrap()
            .ends_with("notice=client_updated_request"),
        "{:?} {}",
        r.location(),
        r.body
    );
    let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
    assert_eq!(c.metadata.name, "Renamed", "direct fields apply at once");
    assert_eq!(c.metadata.redirect_uris.len(), 2);
    assert!(!c.allows(GrantType::Password), "gated: not applied");
    assert_eq!(c.refresh_token_ttl_secs, None, "gated: not applied");

    let pending = requests(&dev, "mine=true&status=pending").await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["kind"], "change");
    let fields: Vec<&str> = pending[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["password grant", "refresh-token lifetime"]);

    // The admin approves; the change applies.
    let adm = signed_in(&app, "admin").await;
    let rid = pending[0]["id"].as_str().unwrap();
    let r = adm.post("/api/admin/approve_request", &[("id", rid)]).await;
    assert!(r.status < 400, "{}", r.body);
    let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
    assert!(c.allows(GrantType::Password));
    assert_eq!(c.refresh_token_ttl_secs, Some(90 * 86_400));
    // Turning the password grant off needs no approval.
    let r = dev
        .post(
            "/api/portal/update_client",
            &[
                ("id", &id),
                ("name", "Renamed"),
                ("redirect_uris", "https://n.example/cb"),
                ("refresh_token_days", "90"),
            ],
        )
        .await;
    assert!(
        r.location().unwrap().ends_with("notice=client_updated"),
        "{}",
        r.body
    );
    let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
    assert!(!c.allows(GrantType::Password));

    // Disabling applies at once; enabling again is a request for a developer.
    let r = dev
        .post(
            "/api/portal/set_enabled",
            &[("id", &id), ("enabled", "false"), ("confirm", "yes")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let r = dev
        .post(
            "/api/portal/set_enabled",
            &[
                ("id", &id),
                ("enabled", "true"),
                ("justification", "fixed the leak"),
            ],
        )
        .await;
    assert!(r.location().unwrap().contains("request_submitted"));
    assert!(
        domain::clients::find(&app.db, &id)
            .await
            .unwrap()
            .unwrap()
            .disabled
    );
    let types = app.audit_types().await;
    for t in [
        "client.updated",
        "request.submitted",
        "request.approved",
        "client.disabled",
    ] {
        assert!(types.contains(&t.to_owned()), "{t}");
    }
}

/// Issue 13, defect 5: disabling a client or an account stops it at once, so the
/// forms ask for a ticked box, and the server refuses the change without it (a
/// form sent by an old browser, or by hand); nothing changes.
#[tokio::test]
async fn disabling_a_client_or_an_account_needs_the_confirmation() {
    let app = spawn_app().await;
    let dev = developer(&app, "ada").await;
    let id = register_in_portal(&dev, "Notebook", "web", "https://n.example/cb").await;

    for confirm in [None, Some("no"), Some("")] {
        let mut fields = vec![("id", id.as_str()), ("enabled", "false")];
        fields.extend(confirm.map(|c| ("confirm", c)));
        let r = dev.post("/api/portal/set_enabled", &fields).await;
        assert!(
            (400..500).contains(&r.status) && r.body.contains("confirm"),
            "{confirm:?}: {} {}",
            r.status,
            r.body
        );
        assert!(!is_disabled(&app, &id).await);
    }
    let r = dev
        .post(
            "/api/portal/set_enabled",
            &[("id", &id), ("enabled", "false"), ("confirm", "yes")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert!(is_disabled(&app, &id).await);

    // An administrator disabling an account: the same.
    let ada = domain::accounts::find_by_username(&app.db, "ada")
        .await
        .unwrap()
        .unwrap();
    let admin = signed_in(&app, "admin").await;
    let r = admin
        .post(
            "/api/admin/set_disabled",
            &[("user_id", ada.id.as_str()), ("disabled", "true")],
        )
        .await;
    assert!(
        (400..500).contains(&r.status) && r.body.contains("confirm"),
        "{} {}",
        r.status,
        r.body
    );
    assert_eq!(dev.signed_in_as().await.as_deref(), Some("ada"));
    let r = admin
        .post(
            "/api/admin/set_disabled",
            &[
                ("user_id", ada.id.as_str()),
                ("disabled", "true"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(dev.signed_in_as().await, None);
}

async fn is_disabled(app: &TestApp, id: &str) -> bool {
    domain::clients::find(&app.db, id)
        .await
        .unwrap()
        .unwrap()
        .disabled
}

#[tokio::test]
async fn a_search_with_reserved_characters_survives_paging() {
    let app = spawn_app().await;
    for n in 0..22 {
        let mut new = crate::rp::notebook(&["openid"]);
        new.metadata.name = Some(format!("R&D tool {n:02}"));
        register(&app, new).await;
    }
    let admin = app.browser();
    admin.sign_in("admin", ADMIN_PASSWORD).await;
    let page = admin.get_html("/admin/clients?search=R%26D").await.body;
    assert!(page.contains("R&amp;D tool 00"), "{page}");
    assert!(
        page.contains("search=R%26D&amp;sort=name&amp;page=2"),
        "the next page keeps the search as typed: {page}"
    );
    let second = admin
        .get_html("/admin/clients?search=R%26D&sort=name&page=2")
        .await
        .body;
    assert!(second.contains("R&amp;D tool 21"), "{second}");
}
