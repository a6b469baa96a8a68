//! M4: a developer's routine edits must not undo an administrator's change made
//! meanwhile (the review saw 20 parallel PUTs re-enable a just-disabled client in
//! 3 of 3 trials, with an audit trail showing only description changes).

use std::sync::Arc;

use domain::accounts::Role;
use domain::entities::audit_event;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

use super::*;

/// Every `client.updated` event of a client, as the audit trail has it.
async fn update_events(app: &TestApp, id: &str) -> Vec<Value> {
    audit_event::Entity::find()
        .filter(audit_event::Column::EventType.eq("client.updated"))
        .filter(audit_event::Column::TargetId.eq(id))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| serde_json::from_str(&e.data).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_administrator_disabling_a_client_wins_over_twenty_parallel_edits_by_its_developer() {
    let app = spawn_app().await;
    let dev = create_user(&app.db, "ada", Role::Developer).await;
    let dev_api = Api::for_user(&app, &dev).await;
    let admin_api = Api::for_user(&app, &app.admin).await;
    for trial in 0..5 {
        let (id, _) = dev_api
            .create_web_client(&format!("Notebook {trial}"), "https://n.example/cb")
            .await;
        let start = Arc::new(tokio::sync::Barrier::new(21));
        let mut edits = Vec::new();
        for i in 0..20 {
            let (api, start, id) = (dev_api.clone(), start.clone(), id.clone());
            edits.push(tokio::spawn(async move {
                start.wait().await;
                api.put(
                    &format!("/api/v1/clients/{id}"),
                    json!({ "description": format!("routine edit {i}") }),
                )
                .await
            }));
        }
        let disable = {
            let (api, start, id) = (admin_api.clone(), start.clone(), id.clone());
            tokio::spawn(async move {
                start.wait().await;
                api.post(
                    &format!("/api/v1/clients/{id}/disable"),
                    json!({ "justification": "security review" }),
                )
                .await
            })
        };
        let d = disable.await.unwrap();
        assert_eq!(d.status, 200, "trial {trial}: {}", d.body);
        let (mut applied, mut refused) = (0, 0);
        for e in edits {
            let r = e.await.unwrap();
            match r.status {
                200 => applied += 1,
                409 => {
                    refused += 1;
                    assert_eq!(r.json()["error"], "conflict", "{}", r.body);
                }
                s => panic!("trial {trial}: a PUT answered {s}: {}", r.body),
            }
        }
        let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
        assert!(
            c.disabled,
            "trial {trial}: the client must stay disabled ({applied} edits applied, {refused} refused)"
        );
        for e in update_events(&app, &id).await {
            assert!(
                e["changes"].get("disabled").is_none(),
                "trial {trial}: an edit wrote `disabled`: {e}"
            );
        }
    }
}

/// Without If-Match a PUT changes only the fields it sends, on the row as it is
/// when the edit is written: parallel edits of different fields all apply and none
/// undoes another (before, every edit but the first was refused with 409).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_edits_of_different_fields_all_apply() {
    let app = spawn_app().await;
    let dev = create_user(&app.db, "ada", Role::Developer).await;
    let api = Api::for_user(&app, &dev).await;
    let (id, _) = api
        .create_web_client("Notebook", "https://n.example/cb")
        .await;
    let start = Arc::new(tokio::sync::Barrier::new(20));
    let mut edits = Vec::new();
    for i in 0..20 {
        let (api, start, id) = (api.clone(), start.clone(), id.clone());
        edits.push(tokio::spawn(async move {
            let body = match i % 4 {
                0 => json!({ "description": format!("edit {i}") }),
                1 => json!({ "contacts": [format!("ops{i}@n.example")] }),
                2 => json!({ "logo_uri": format!("https://n.example/logo{i}.png") }),
                _ => json!({ "redirect_uris": ["https://n.example/cb", format!("https://n.example/cb{i}")] }),
            };
            start.wait().await;
            (i, api.put(&format!("/api/v1/clients/{id}"), body).await)
        }));
    }
    for e in edits {
        let (i, r) = e.await.unwrap();
        assert_eq!(r.status, 200, "edit {i}: {}", r.body);
    }
    // The audit trail has one event per edit, in the order the edits were written,
    // each changing only the field it sent; each field holds what the last edit that
    // sent it wrote.
    let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
    let events: Vec<Value> = audit_event::Entity::find()
        .filter(audit_event::Column::EventType.eq("client.updated"))
        .filter(audit_event::Column::TargetId.eq(id.as_str()))
        .order_by_asc(audit_event::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| serde_json::from_str(&e.data).unwrap())
        .collect();
    assert_eq!(events.len(), 20, "{events:?}");
    for e in &events {
        assert_eq!(e["changes"].as_object().unwrap().len(), 1, "{e}");
    }
    let now = serde_json::to_value(&c).unwrap();
    for field in ["description", "contacts", "logo_uri", "redirect_uris"] {
        let last = events
            .iter()
            .rev()
            .find_map(|e| e["changes"].get(field))
            .unwrap_or_else(|| panic!("no edit of {field}"));
        assert_eq!(last["after"], now[field], "{field}");
    }
    assert_eq!(c.version, 21, "one version per edit, none lost");
}

#[tokio::test]
async fn an_edit_based_on_an_older_version_is_refused_not_applied() {
    let app = spawn_app().await;
    let dev = create_user(&app.db, "ada", Role::Developer).await;
    let api = Api::for_user(&app, &dev).await;
    let (id, _) = api
        .create_web_client("Notebook", "https://n.example/cb")
        .await;
    let path = format!("/api/v1/clients/{id}");

    // GET names the version as an entity tag and in the body.
    let got = api.get(&path).await;
    let etag = got
        .headers
        .get("etag")
        .expect("GET sends an ETag")
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        etag,
        format!("\"{}\"", got.json()["version"]),
        "{}",
        got.body
    );

    // Someone else changes the client.
    let r = api
        .put(&path, json!({ "description": "changed elsewhere" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let newer = r.headers.get("etag").unwrap().to_str().unwrap().to_owned();
    assert_ne!(newer, etag, "every change gets a new version");

    // An edit with the old tag: 412, nothing changes.
    let stale = api
        .send(
            reqwest::Method::PUT,
            &path,
            &[("if-match", &etag)],
            Some(json!({ "name": "Stale rename" })),
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    assert_eq!(stale.json()["error"], "precondition_failed");
    // The same with the old version in the body: 409.
    let stale = api
        .put(
            &path,
            json!({ "name": "Stale rename", "version": got.json()["version"] }),
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    // An empty or oversized If-Match is malformed: 400 naming the header.
    let long = format!("{etag}, {}", "\"1\", ".repeat(40));
    for bad in ["", long.as_str()] {
        let r = api
            .send(
                reqwest::Method::PUT,
                &path,
                &[("if-match", bad)],
                Some(json!({ "name": "Malformed" })),
            )
            .await;
        assert_eq!(r.status, 400, "{bad:?}: {}", r.body);
        assert_eq!(r.json()["field"], "If-Match", "{}", r.body);
    }
    let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
    assert_eq!(c.metadata.name, "Notebook");
    assert_eq!(c.metadata.description, "changed elsewhere");

    // With the current tag it applies.
    let ok = api
        .send(
            reqwest::Method::PUT,
            &path,
            &[("if-match", &newer)],
            Some(json!({ "name": "Renamed" })),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["name"], "Renamed");

    // The portal's edit form carries the version it was rendered with: a form
    // rendered before someone else's change is refused with a clear message.
    let b = signed_in(&app, "ada").await;
    let shown = b.get(&format!("/api/portal/client?id={id}")).await.json();
    let rendered = shown["client"]["version"]
        .as_i64()
        .expect("the page has the version");
    assert!(
        api.put(&path, json!({ "description": "changed again elsewhere" }))
            .await
            .status
            == 200
    );
    let r = b
        .post(
            "/api/portal/update_client",
            &[
                ("id", id.as_str()),
                ("name", "Form rename"),
                ("redirect_uris", "https://n.example/cb"),
                ("grant_refresh_token", "on"),
                ("version", &rendered.to_string()),
            ],
        )
        .await;
    assert!(
        r.status >= 400 && r.error_message().contains("changed by someone else"),
        "{} {}",
        r.status,
        r.body
    );
    let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
    assert_eq!(c.metadata.name, "Renamed", "the stale form changed nothing");
    assert_eq!(c.metadata.description, "changed again elsewhere");
}
