//! `/admin/registration`: the mode, initial access tokens (a new one shown once)
//! and metadata-document settings, through the page's own forms.

use domain::accounts::Role;
use domain::settings::RegistrationMode;

use super::*;

#[tokio::test]
async fn administrators_set_the_mode_mint_and_revoke_tokens_and_documents_on_the_page() {
    let app = spawn_app().await;
    let b = app.browser();
    assert!(b.sign_in(&app.admin.username, ADMIN_PASSWORD).await.status < 400);
    let page = b.get_html("/admin/registration").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Self-registration"), "{}", page.body);

    // The mode.
    let r = b
        .post("/api/admin/registration_mode", &[("mode", "token")])
        .await;
    assert_eq!(
        r.location().as_deref(),
        Some("/admin/registration?notice=settings_saved"),
        "{} {}",
        r.status,
        r.body
    );
    assert_eq!(
        domain::settings::registration_mode(&app.db).await.unwrap(),
        RegistrationMode::Token
    );
    let r = b
        .post("/api/admin/registration_mode", &[("mode", "sometimes")])
        .await;
    assert_eq!(r.status, 422, "{}", r.body);

    // A token: shown on the next view only, and it works.
    let r = b
        .post(
            "/api/admin/mint_initial_token",
            &[("label", "MCP pilot"), ("max_uses", "2"), ("days", "14")],
        )
        .await;
    assert!(
        r.location()
            .is_some_and(|l| l.contains("notice=token_minted")),
        "{} {}",
        r.status,
        r.body
    );
    let shown = b.get_html("/admin/registration").await.body;
    let at = shown
        .find("data-testid=\"new-initial-token-value\"")
        .expect("the new token is shown");
    let text = &shown[at..];
    let start = text.find('>').unwrap() + 1;
    let token = text[start..start + text[start..].find('<').unwrap()].to_owned();
    assert!(token.len() >= 40, "{token}");
    assert!(
        !b.get_html("/admin/registration")
            .await
            .body
            .contains(&token),
        "shown once"
    );
    let reg = register_with(&app, Some(&token), &service_metadata("Pilot")).await;
    assert_eq!(reg.status, 201, "{}", reg.body);
    for bad in [
        vec![("label", ""), ("max_uses", "2"), ("days", "14")],
        vec![("label", "x"), ("max_uses", "many"), ("days", "14")],
        vec![("label", "x"), ("max_uses", "2"), ("days", "400")],
    ] {
        let r = b.post("/api/admin/mint_initial_token", &bad).await;
        assert!(
            r.location().is_none() && r.status == 422,
            "{bad:?}: {} {}",
            r.status,
            r.body
        );
    }
    assert_eq!(app.count("initial_access_tokens").await, 1);

    // Revoked, with a confirmation.
    let id =
        domain::clients::initial_tokens::list(&app.db, &domain::accounts::AdminCtx::operator())
            .await
            .unwrap()[0]
            .id
            .clone();
    let r = b
        .post("/api/admin/revoke_initial_token", &[("id", &id)])
        .await;
    assert_eq!(r.status, 422, "not confirmed: {}", r.body);
    let r = b
        .post(
            "/api/admin/revoke_initial_token",
            &[("id", &id), ("confirm", "yes")],
        )
        .await;
    assert!(
        r.location()
            .is_some_and(|l| l.contains("notice=token_revoked")),
        "{}",
        r.body
    );
    let reg = register_with(&app, Some(&token), &service_metadata("Pilot 2")).await;
    assert_eq!(reg.status, 401, "{}", reg.body);
    assert!(b
        .get_html("/admin/registration")
        .await
        .body
        .contains("data-state=\"revoked\""));

    // Metadata documents.
    let r = b
        .post(
            "/api/admin/metadata_documents",
            &[
                ("enabled", "on"),
                ("trusted_hosts", "App.Example.com\nagents.example.org"),
                ("protected_names", "Claude @ claude.ai"),
            ],
        )
        .await;
    assert!(r.location().is_some(), "{} {}", r.status, r.body);
    let docs = domain::settings::metadata_documents(&app.db).await.unwrap();
    assert!(docs.enabled);
    assert_eq!(
        docs.trusted_hosts,
        vec!["app.example.com", "agents.example.org"]
    );
    assert_eq!(docs.protected_names[0].host, "claude.ai");
    let r = b
        .post(
            "/api/admin/metadata_documents",
            &[("enabled", "on"), ("protected_names", "no host here")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        domain::settings::metadata_documents(&app.db).await.unwrap(),
        docs
    );

    // Administrators only.
    create_user(&app.db, "devi", Role::Developer).await;
    let dev = app.browser();
    assert!(dev.sign_in("devi", ADMIN_PASSWORD).await.status < 400);
    let r = dev
        .post("/api/admin/registration_mode", &[("mode", "open")])
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(
        domain::settings::registration_mode(&app.db).await.unwrap(),
        RegistrationMode::Token
    );
}
