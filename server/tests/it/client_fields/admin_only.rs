//! The client settings only administrators set (issue 17): pre-authorization,
//! first-party status and the access-token lifetime. A developer naming one is
//! refused, naming the field, and nothing changes; an administrator's value applies
//! at once; an out-of-bounds value is refused for the administrator too.

use serde_json::{json, Value};

use super::{applied, base_form, fresh, post, read, shown, with, Callers, Field};

/// The administrator's edit form: the developer's form plus the administrators'
/// section (its marker, so unticked boxes mean "off").
fn admin_form(id: &str) -> Vec<(&'static str, String)> {
    with(base_form(id), "governed", "on")
}

fn refused(r: &crate::helpers::Reply, row: &Field, what: &str) {
    assert!(
        (400..500).contains(&r.status),
        "{}: {what}: {} {}",
        row.seed,
        r.status,
        r.body
    );
    assert!(
        r.body.contains(row.json) || r.body.contains(row.form),
        "{}: {what}: the error names the field: {}",
        row.seed,
        r.body
    );
}

pub(super) async fn admin_only_in_portal(who: &Callers, row: &Field) {
    let id = fresh(&who.api).await;
    let before = read(&who.api, &id).await;
    assert_ne!(
        shown(&before, row),
        applied(row),
        "{}: already set",
        row.seed
    );
    // The developer's form has no such field; a post naming it is refused, even
    // beside a valid change, and with the section's marker too.
    for form in [base_form(&id), admin_form(&id)] {
        let r = post(
            &who.dev,
            "/api/portal/update_client",
            &with(with(form, "name", "Renamed"), row.form, row.form_valid),
        )
        .await;
        refused(&r, row, "developer");
        assert_eq!(
            read(&who.api, &id).await,
            before,
            "{}: nothing changed",
            row.seed
        );
    }
    // The administrator's applies at once.
    let r = post(
        &who.admin,
        "/api/portal/update_client",
        &with(admin_form(&id), row.form, row.form_valid),
    )
    .await;
    assert!(
        r.location()
            .is_some_and(|l| l.contains("notice=client_updated")),
        "{}: {} {}",
        row.seed,
        r.status,
        r.body
    );
    let after = read(&who.api, &id).await;
    assert_eq!(
        shown(&after, row),
        applied(row),
        "{}: applied (portal)",
        row.seed
    );
    if let Some(bad) = row.form_invalid {
        let r = post(
            &who.admin,
            "/api/portal/update_client",
            &with(admin_form(&id), row.form, bad),
        )
        .await;
        refused(&r, row, "administrator, out of bounds");
        assert_eq!(
            read(&who.api, &id).await,
            after,
            "{}: nothing changed",
            row.seed
        );
    }
}

pub(super) async fn admin_only_in_rest(who: &Callers, row: &Field) {
    let id = fresh(&who.api).await;
    let path = format!("/api/v1/clients/{id}");
    let before = read(&who.api, &id).await;
    // Sent back unchanged, as GET returned it: accepted (a client read with GET
    // can be edited and sent back whole).
    let r = who
        .api
        .put(
            &path,
            json!({ "name": "Renamed", row.json: shown(&before, row) }),
        )
        .await;
    assert_eq!(r.status, 200, "{}: {}", row.seed, r.body);
    let before = read(&who.api, &id).await;
    // Changed by the developer: refused naming the field, beside a valid change
    // that must not apply either.
    let r = who
        .api
        .put(
            &path,
            json!({ "name": "Renamed again", row.json: row.valid }),
        )
        .await;
    assert_eq!(r.status, 400, "{}: {}", row.seed, r.body);
    assert_eq!(r.json()["field"], row.json, "{}: {}", row.seed, r.body);
    assert_eq!(
        read(&who.api, &id).await,
        before,
        "{}: nothing changed",
        row.seed
    );
    // The administrator's applies at once, without a request.
    let r = who
        .admin_api
        .put(&path, json!({ row.json: row.valid }))
        .await;
    assert_eq!(r.status, 200, "{}: {}", row.seed, r.body);
    assert_eq!(r.json()["pending_request"], Value::Null, "{}", row.seed);
    let after = read(&who.api, &id).await;
    assert_eq!(
        shown(&after, row),
        applied(row),
        "{}: applied (REST)",
        row.seed
    );
    let r = who
        .admin_api
        .put(&path, json!({ row.json: row.invalid }))
        .await;
    assert_eq!(r.status, 400, "{}: {}", row.seed, r.body);
    assert_eq!(r.json()["field"], row.json, "{}: {}", row.seed, r.body);
    assert_eq!(
        read(&who.api, &id).await,
        after,
        "{}: nothing changed",
        row.seed
    );
}
