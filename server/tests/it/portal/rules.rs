//! The rules editor's server functions (issue 13, defect 6): one form whose
//! `intent` tests or saves, and deleting only once confirmed.

use crate::helpers::*;

#[tokio::test]
async fn the_rules_editor_tests_without_saving_saves_on_save_and_deletes_only_once_confirmed() {
    let app = spawn_app().await;
    registrations_api(&app).await;
    let adm = signed_in(&app, "admin").await;
    let rule = r#"developer.email.endsWith("@example.edu")"#;

    // Test: back to the page with the draft in its query (no CSRF token there);
    // nothing saved.
    let r = adm
        .post(
            "/api/admin/edit_rule",
            &[("intent", "test"), ("scope", WRITE), ("approve_if", rule)],
        )
        .await;
    let loc = r
        .location()
        .unwrap_or_else(|| panic!("{} {}", r.status, r.body));
    assert!(loc.starts_with("/admin/rules?"), "{loc}");
    assert_eq!(query_param(&loc, "scopes").as_deref(), Some(WRITE));
    assert_eq!(query_param(&loc, "approve_if").as_deref(), Some(rule));
    assert_eq!(query_param(&loc, "test").as_deref(), Some("1"));
    assert_eq!(query_param(&loc, "csrf_token"), None, "{loc}");
    assert_eq!(app.count("approval_rules").await, 0);
    // The page's test of that draft reads, and decides nothing.
    let r = adm
        .get(&format!(
            "/api/admin/try_rule?scope={}&approve_if={}",
            enc(WRITE),
            enc(rule)
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json(), serde_json::json!([]));
    let dev = developer(&app, "ada").await;
    let r = dev
        .get(&format!(
            "/api/admin/try_rule?scope={}&approve_if=true",
            enc(WRITE)
        ))
        .await;
    assert!(
        r.status >= 400,
        "administrators only: {} {}",
        r.status,
        r.body
    );

    // Anything but test or save is refused.
    let r = adm
        .post(
            "/api/admin/edit_rule",
            &[("intent", "run"), ("scope", WRITE), ("approve_if", rule)],
        )
        .await;
    assert!(r.status >= 400 && r.body.contains("intent"), "{}", r.body);
    assert_eq!(app.count("approval_rules").await, 0);

    let r = adm
        .post(
            "/api/admin/edit_rule",
            &[("intent", "save"), ("scope", WRITE), ("approve_if", rule)],
        )
        .await;
    assert_eq!(
        r.location().as_deref(),
        Some("/admin/rules?notice=rule_saved"),
        "{}",
        r.body
    );
    assert_eq!(app.count("approval_rules").await, 1);

    // Deleting without the confirmation changes nothing.
    let r = adm
        .post("/api/admin/delete_rule", &[("scope", WRITE)])
        .await;
    assert!(r.status >= 400 && r.body.contains("confirm"), "{}", r.body);
    assert_eq!(app.count("approval_rules").await, 1);
    let r = adm
        .post(
            "/api/admin/delete_rule",
            &[("scope", WRITE), ("confirm", "yes")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(app.count("approval_rules").await, 0);
}
