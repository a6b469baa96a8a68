//! Catalogue edits on the consent page; asking for more asks only for what is new.

use domain::clients::{ApplicationType, NewClient};

use super::setup;
use crate::helpers::*;
use crate::rp::*;

#[tokio::test]
async fn catalogue_edits_show_on_the_consent_page() {
    let (app, _) = setup().await;
    let admin = app.browser();
    admin.sign_in("admin", ADMIN_PASSWORD).await;
    let r = admin
        .post(
            "/api/admin/create_api",
            &[("name", "Registrations"), ("audience", "not a uri")],
        )
        .await;
    assert!(r.status >= 400 && r.body.contains("audience"), "{}", r.body);
    let r = admin
        .post(
            "/api/admin/create_api",
            &[
                ("name", "Registrations"),
                ("audience", "https://api.example.edu/reg"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let cat = admin.get("/api/admin/apis").await.json();
    let api = cat["apis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Registrations")
        .unwrap()
        .clone();
    let rid = s(&api, "id").to_owned();
    let r = admin
        .post(
            "/api/admin/add_scope",
            &[
                ("resource_id", &rid),
                ("name", "reg:read"),
                ("description", ""),
            ],
        )
        .await;
    assert!(
        r.status >= 400 && r.body.contains("description"),
        "{}",
        r.body
    );
    let r = admin
        .post(
            "/api/admin/add_scope",
            &[
                ("resource_id", &rid),
                ("name", "reg:read"),
                ("description", "See your registrations"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let r = admin
        .post(
            "/api/admin/update_scope",
            &[
                ("name", "reg:read"),
                ("description", "See which courses you are registered for"),
                ("requires_approval", "on"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let r = admin
        .post(
            "/api/admin/update_scope",
            &[("name", "openid"), ("description", "x")],
        )
        .await;
    assert!(r.status >= 400, "built-in scopes are fixed: {}", r.body);
    let info = domain::apis::find_scope(&app.db, "reg:read")
        .await
        .unwrap()
        .unwrap();
    assert!(info.requires_approval);

    let rp = register(
        &app,
        NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some("Course Planner".into()),
                redirect_uris: Some(vec![REDIRECT.into()]),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Web),
            scopes: ["openid", "reg:read"].map(String::from).to_vec(),
            ..Default::default()
        },
    )
    .await;
    let alice = app.browser();
    alice.sign_in("alice", ADMIN_PASSWORD).await;
    let loc = alice
        .get(&format!(
            "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope={}&code_challenge={CHALLENGE}&code_challenge_method=S256",
            rp.id,
            enc(REDIRECT),
            enc("openid reg:read")
        ))
        .await
        .location()
        .unwrap();
    assert!(loc.starts_with("/oauth/consent?"), "{loc}");
    let page = alice.get_html(&loc).await.body;
    assert!(
        page.contains("See which courses you are registered for"),
        "{page}"
    );
    let types = app.audit_types().await;
    for t in ["resource.created", "scope.created", "scope.updated"] {
        assert!(types.contains(&t.to_owned()), "{t} in {types:?}");
    }
    // Only administrators.
    let r = alice
        .post(
            "/api/admin/update_scope",
            &[("name", "reg:read"), ("description", "x")],
        )
        .await;
    assert!(r.status >= 400);
}

#[tokio::test]
async fn asking_for_more_asks_only_for_what_is_new() {
    let (app, rp) = setup().await;
    let alice = app.browser();
    // First: openid alone, allowed.
    code_as(&alice, "alice", &rp, "openid").await;
    // Then openid profile: the consent page asks only for profile.
    let loc = alice
        .get(&authorize_path(&rp, "openid profile", ""))
        .await
        .location()
        .unwrap();
    assert!(loc.starts_with("/oauth/consent?"), "{loc}");
    let page = alice.get_html(&loc).await.body;
    let asked = page
        .split("data-testid=\"consent-scopes\"")
        .nth(1)
        .and_then(|s| s.split("</ul>").next())
        .unwrap_or_default();
    assert!(asked.contains("See your name and username"), "{asked}");
    assert!(
        !asked.contains("Sign you in"),
        "what was allowed before is not asked again: {asked}"
    );
    assert!(page.contains("data-testid=\"consent-already\""), "{page}");
    assert!(page.contains("It asks for more than you allowed before"));
}
