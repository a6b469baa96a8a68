//! Seed 001's approval-gated fields, through the portal and the REST API: the
//! invalid value is refused, the valid one becomes a request with a before/after
//! diff, and applies only when an administrator approves.

use serde_json::{json, Value};

use super::{
    applied, base_form, fresh, post, read, refused_in_rest, shown, with, Callers, Field, Via,
};
use crate::helpers::*;

/// The one pending request of client `id`, as the developer's portal lists it.
async fn pending_in_portal(who: &Callers, id: &str) -> Value {
    let q = requests(
        &who.dev,
        &format!("mine=true&status=pending&client_id={id}"),
    )
    .await;
    assert_eq!(q.len(), 1, "{q:?}");
    q[0].clone()
}

pub(super) async fn approval_in_portal(app: &TestApp, who: &Callers, row: &Field, via: Via) {
    let id = fresh(&who.api).await;
    let why = ("justification", "Needed by the registrar".to_owned());
    // The invalid value first: refused, nothing changes, no request.
    let before = read(&who.api, &id).await;
    if let Some(bad) = row.form_invalid {
        let r = match via {
            Via::Edit => {
                post(
                    &who.dev,
                    "/api/portal/update_client",
                    &with(with(base_form(&id), row.form, bad), why.0, &why.1),
                )
                .await
            }
            Via::Scopes => {
                post(
                    &who.dev,
                    "/api/portal/request_scopes",
                    &[("id", id.clone()), (row.form, bad.into()), why.clone()],
                )
                .await
            }
            Via::Extension => {
                post(
                    &who.dev,
                    "/api/portal/request_extension",
                    &[("id", id.clone()), (row.form, bad.into()), why.clone()],
                )
                .await
            }
            Via::Enable => unreachable!(),
        };
        assert!(
            (400..500).contains(&r.status),
            "{}: {} {}",
            row.seed,
            r.status,
            r.body
        );
        assert!(
            r.body.contains(row.json) || r.body.contains(row.form) || r.body.contains("scope"),
            "{}: {}",
            row.seed,
            r.body
        );
        assert_eq!(
            read(&who.api, &id).await,
            before,
            "{}: nothing changed",
            row.seed
        );
        assert!(requests(
            &who.dev,
            &format!("mine=true&status=pending&client_id={id}")
        )
        .await
        .is_empty());
    }
    let r = match via {
        Via::Edit => {
            post(
                &who.dev,
                "/api/portal/update_client",
                &with(
                    with(base_form(&id), row.form, row.form_valid),
                    why.0,
                    &why.1,
                ),
            )
            .await
        }
        Via::Scopes => {
            post(
                &who.dev,
                "/api/portal/request_scopes",
                &[
                    ("id", id.clone()),
                    (row.form, row.form_valid.into()),
                    why.clone(),
                ],
            )
            .await
        }
        Via::Extension => {
            let day = domain::platform::clock::format_date(row.valid.as_i64().unwrap());
            post(
                &who.dev,
                "/api/portal/request_extension",
                &[("id", id.clone()), (row.form, day), why.clone()],
            )
            .await
        }
        Via::Enable => {
            let r = post(
                &who.dev,
                "/api/portal/set_enabled",
                &[
                    ("id", id.clone()),
                    ("enabled", "false".into()),
                    ("confirm", "yes".into()),
                ],
            )
            .await;
            assert!(r.status < 400, "{}", r.body);
            assert_eq!(
                read(&who.api, &id).await["disabled"],
                true,
                "disabling applies at once"
            );
            post(
                &who.dev,
                "/api/portal/set_enabled",
                &[("id", id.clone()), ("enabled", "true".into()), why.clone()],
            )
            .await
        }
    };
    assert!(r.status < 400, "{}: {} {}", row.seed, r.status, r.body);
    let waiting = read(&who.api, &id).await;
    assert_ne!(
        shown(&waiting, row),
        applied(row),
        "{}: not applied before approval (portal)",
        row.seed
    );
    let req = pending_in_portal(who, &id).await;
    match via {
        Via::Scopes => assert!(
            req["scopes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["name"] == WRITE),
            "{req}"
        ),
        // The summary names the current expiry and the one asked for.
        Via::Extension => assert!(
            req["summary"].as_str().unwrap_or_default().contains(
                &domain::platform::clock::format_date(row.valid.as_i64().unwrap())
            ),
            "{req}"
        ),
        _ => {
            // The diff: what it is, what it would be.
            let changes = req["changes"].as_array().unwrap();
            assert_eq!(changes.len(), 1, "{req}");
            assert_ne!(changes[0]["before"], changes[0]["after"], "{req}");
        }
    }
    let mut approve = vec![("id", req["id"].as_str().unwrap())];
    if via == Via::Scopes {
        approve.push(("scopes[]", WRITE));
    }
    let r = who.admin.post("/api/admin/approve_request", &approve).await;
    assert!(r.status < 400, "{}", r.body);
    let done = read(&who.api, &id).await;
    match via {
        // The end of the chosen day.
        Via::Extension => assert!(
            done["expires_at"].as_i64().unwrap() > waiting["expires_at"].as_i64().unwrap(),
            "{done}"
        ),
        _ => assert_eq!(
            shown(&done, row),
            applied(row),
            "{}: applied on approval (portal)",
            row.seed
        ),
    }
    let _ = app;
}

pub(super) async fn approval_in_rest(app: &TestApp, who: &Callers, row: &Field, via: Via) {
    let id = fresh(&who.api).await;
    let why = "Needed by the registrar";
    let before = read(&who.api, &id).await;
    // A PUT may not set the field itself when it is asked for elsewhere.
    if via != Via::Edit {
        let value = match via {
            Via::Scopes => json!([WRITE]),
            Via::Enable => json!(true),
            _ => row.valid.clone(),
        };
        refused_in_rest(who, row, &id, &value, &before).await;
    }
    // The invalid value: refused, nothing changes.
    let bad = match via {
        Via::Edit if !row.invalid.is_null() => Some(who.api.put(&format!("/api/v1/clients/{id}"), json!({ row.json: row.invalid, "justification": why })).await),
        Via::Scopes => Some(who.api.post("/api/v1/requests", json!({ "client_id": id, "kind": "scopes", "scopes": row.invalid, "justification": why })).await),
        Via::Extension => Some(who.api.post("/api/v1/requests", json!({ "client_id": id, "kind": "extension", "expires_at": row.invalid, "justification": why })).await),
        _ => None,
    };
    if let Some(r) = bad {
        assert!(
            (400..500).contains(&r.status),
            "{}: {} {}",
            row.seed,
            r.status,
            r.body
        );
        assert_eq!(
            read(&who.api, &id).await,
            before,
            "{}: nothing changed",
            row.seed
        );
    }
    let asked = match via {
        Via::Edit => {
            let r = who
                .api
                .put(
                    &format!("/api/v1/clients/{id}"),
                    json!({ row.json: row.valid, "justification": why }),
                )
                .await;
            assert_eq!(r.status, 200, "{}: {}", row.seed, r.body);
            r.json()["pending_request"].clone()
        }
        Via::Scopes => {
            let r = who.api.post("/api/v1/requests", json!({ "client_id": id, "kind": "scopes", "scopes": row.valid, "justification": why })).await;
            assert_eq!(r.status, 201, "{}: {}", row.seed, r.body);
            r.json()
        }
        Via::Extension => {
            let r = who.api.post("/api/v1/requests", json!({ "client_id": id, "kind": "extension", "expires_at": row.valid, "justification": why })).await;
            assert_eq!(r.status, 201, "{}: {}", row.seed, r.body);
            r.json()
        }
        Via::Enable => {
            let r = who
                .api
                .post(&format!("/api/v1/clients/{id}/disable"), json!({}))
                .await;
            assert!(r.status < 300, "{}", r.body);
            let r = who
                .api
                .post(
                    &format!("/api/v1/clients/{id}/enable"),
                    json!({ "justification": why }),
                )
                .await;
            assert!(r.status < 300, "{}", r.body);
            r.json()["pending_request"].clone()
        }
    };
    assert_eq!(asked["status"], "pending", "{}: {asked}", row.seed);
    let waiting = read(&who.api, &id).await;
    assert_ne!(
        shown(&waiting, row),
        applied(row),
        "{}: not applied before approval (REST)",
        row.seed
    );
    match via {
        Via::Scopes => assert_eq!(asked["scopes"], json!([WRITE]), "{asked}"),
        Via::Extension => {
            assert_eq!(asked["expires_at"], row.valid, "{asked}");
            assert_eq!(
                asked["previous_expires_at"], waiting["expires_at"],
                "{asked}"
            );
        }
        _ => {
            let c = &asked["changes"][0];
            assert_eq!(asked["changes"].as_array().unwrap().len(), 1, "{asked}");
            assert_ne!(c["before"], c["after"], "{asked}");
        }
    }
    let rid = asked["id"].as_str().unwrap();
    let r = who
        .admin_api
        .post(&format!("/api/v1/requests/{rid}/approve"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let done = read(&who.api, &id).await;
    assert_eq!(
        shown(&done, row),
        applied(row),
        "{}: applied on approval (REST)",
        row.seed
    );
    let _ = app;
}
