//! A client's team over the REST API (issue 13, teams): co-owners manage a client
//! like its owner but do not delete it or change its team; ownership moves only
//! with its recipient's consent, or to a co-owner once the owner left
//! ([`transfers`]).

use domain::accounts::User;

use super::*;

mod transfers;

fn team_of(id: &str) -> String {
    path(routes::TEAM, id)
}

fn co_owner(id: &str, user_id: &str) -> String {
    path(routes::CO_OWNER, id).replace("{user_id}", user_id)
}

fn answer(route: &str, id: &str) -> String {
    route.replace("{client_id}", id)
}

/// An owner with a web client; returns its id.
async fn owned_client(owner: &Api) -> String {
    owner
        .create_web_client("Course planner", "https://app.example.edu/cb")
        .await
        .0
}

/// Who owns the client, as its owner's GET answers (or a co-owner's).
async fn owner_of(api: &Api, id: &str) -> Value {
    let r = api.get(&path(routes::CLIENT, id)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["owner_id"].clone()
}

/// `(user_id, role, active)` of each member, in the team's order.
async fn members(api: &Api, id: &str) -> Vec<(String, String, bool)> {
    let r = api.get(&team_of(id)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let s = |k: &str| m[k].as_str().unwrap().to_owned();
            (s("user_id"), s("role"), m["active"].as_bool().unwrap())
        })
        .collect()
}

fn row(u: &User, role: &str, active: bool) -> (String, String, bool) {
    (u.id.clone(), role.to_owned(), active)
}

async fn add(owner: &Api, id: &str, login: &str) -> Reply {
    owner
        .post(&path(routes::CO_OWNERS, id), json!({ "member": login }))
        .await
}

async fn offer(owner: &Api, id: &str, login: &str) -> Reply {
    owner
        .put(&path(routes::TRANSFER, id), json!({ "new_owner": login }))
        .await
}

async fn offered_ids(api: &Api) -> Vec<String> {
    let r = api.get(routes::TRANSFERS).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["client_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn co_owners_added_by_username_or_e_mail_manage_the_client_but_neither_delete_it_nor_change_its_team(
) {
    let app = spawn_app().await;
    let (olga, owner) = Api::developer(&app, "olga").await;
    let (carl, carl_api) = Api::developer(&app, "carl").await;
    let (cora, _) = Api::developer(&app, "cora").await;
    let (_, stranger) = Api::developer(&app, "sam").await;
    let id = owned_client(&owner).await;
    assert_eq!(members(&owner, &id).await, [row(&olga, "owner", true)]);
    assert_eq!(carl_api.get(&team_of(&id)).await.status, 404);

    let r = add(&owner, &id, "carl").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let m = r.json();
    assert_eq!(m["user_id"], json!(carl.id));
    assert_eq!(
        (&m["username"], &m["email"], &m["display_name"]),
        (
            &json!("carl"),
            &json!("carl@example.edu"),
            &json!("carl display")
        )
    );
    assert_eq!(
        (&m["role"], &m["active"]),
        (&json!("co_owner"), &json!(true))
    );
    assert_eq!(m["added_at"], json!(app.clock_now()));
    // By e-mail address: trimmed, the domain in any case.
    let r = add(&owner, &id, "  cora@EXAMPLE.edu ").await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["user_id"], json!(cora.id));
    assert_eq!(app.count("client_members").await, 2);
    let added = app.audit_events_of("client.member_added").await;
    let added: Vec<_> = added.iter().map(|e| e["user_id"].clone()).collect();
    assert_eq!(added, [json!(carl.id), json!(cora.id)]);

    // The co-owner sees and manages the client like its owner.
    let team = carl_api.get(&team_of(&id)).await.json();
    assert_eq!(team["offer"], Value::Null);
    assert_eq!(team["members"][0]["added_at"], Value::Null);
    // Each caller is told their part in it.
    assert_eq!(
        (&team["you"], &team["you_may_take_over"]),
        (&json!("co_owner"), &json!(false))
    );
    let mine = owner.get(&team_of(&id)).await.json();
    assert_eq!(mine["you"], "owner", "{mine}");
    let admin = Api::admin(&app).await;
    assert_eq!(
        admin.get(&team_of(&id)).await.json()["you"],
        "administrator"
    );
    assert_eq!(
        members(&carl_api, &id).await,
        [
            row(&olga, "owner", true),
            row(&carl, "co_owner", true),
            row(&cora, "co_owner", true)
        ]
    );
    assert_eq!(owner_of(&carl_api, &id).await, json!(olga.id));
    let r = carl_api
        .put(
            &path(routes::CLIENT, &id),
            json!({ "name": "Course planner 2" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let shown = owner.get(&path(routes::CLIENT, &id)).await.json();
    assert_eq!(shown["name"], "Course planner 2");
    let r = carl_api
        .post(&path(routes::ROTATE_SECRET, &id), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["client_secret"]
        .as_str()
        .is_some_and(|s| s.len() >= 32));
    let list = carl_api.get(routes::CLIENTS).await.json();
    let listed = list["items"].as_array().unwrap();
    assert!(listed.iter().any(|c| c["id"] == json!(id)), "{list}");

    // But only the owner deletes it, offers it and changes its team.
    for r in [
        carl_api.delete(&path(routes::CLIENT, &id)).await,
        add(&carl_api, &id, "sam").await,
        carl_api.delete(&co_owner(&id, &cora.id)).await,
        offer(&carl_api, &id, "sam").await,
        carl_api.delete(&path(routes::TRANSFER, &id)).await,
    ] {
        assert_eq!(r.status, 403, "{}", r.body);
        assert_eq!(r.json()["error"], "forbidden");
        // Said in words a co-owner can act on, not the generic refusal.
        assert!(
            r.json()["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("only the client's owner")),
            "{}",
            r.body
        );
    }
    assert_eq!(app.count("client_members").await, 2);
    assert_eq!(app.count("client_transfers").await, 0);
    assert_eq!(owner.get(&path(routes::CLIENT, &id)).await.status, 200);

    // Someone else's client is not there at all.
    for r in [
        stranger.get(&team_of(&id)).await,
        add(&stranger, &id, "sam").await,
        stranger.delete(&co_owner(&id, &carl.id)).await,
    ] {
        assert_eq!(r.status, 404, "{}", r.body);
    }
    assert_eq!(app.count("client_members").await, 2);
}

#[tokio::test]
async fn unknown_names_other_accounts_the_owner_and_duplicates_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (_, owner) = Api::developer(&app, "olga").await;
    create_user(&app.db, "ursula", Role::User).await;
    let (carl, _) = Api::developer(&app, "carl").await;
    let id = owned_client(&owner).await;
    let refused = |r: &Reply| {
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(r.json()["error"], "invalid_request");
        assert_eq!(r.json()["field"], "member", "{}", r.body);
        r.json()["message"].as_str().unwrap().to_owned()
    };
    let unknown = refused(&add(&owner, &id, "nobody").await);
    // Not a developer reads as unknown: the form is no directory of accounts.
    for login in ["nobody@example.edu", "ursula", "ursula@example.edu"] {
        assert_eq!(refused(&add(&owner, &id, login).await), unknown, "{login}");
    }
    for login in ["olga", "olga@example.edu", "", "   ", &"x".repeat(255)] {
        refused(&add(&owner, &id, login).await);
    }
    assert_eq!(app.count("client_members").await, 0);

    assert_eq!(add(&owner, &id, "carl").await.status, 201);
    for login in ["carl", "carl@example.edu"] {
        refused(&add(&owner, &id, login).await);
    }
    // Unknown fields and other bodies are malformed requests.
    for body in [json!({ "member": "ursula", "role": "owner" }), json!({})] {
        let r = owner.post(&path(routes::CO_OWNERS, &id), body).await;
        assert_eq!(r.status, 400, "{}", r.body);
    }
    assert_eq!(app.count("client_members").await, 1);
    assert_eq!(app.audit_events_of("client.member_added").await.len(), 1);
    assert_eq!(members(&owner, &id).await[1].0, carl.id);
}

#[tokio::test]
async fn a_co_owner_leaves_and_the_owner_removes_another() {
    let app = spawn_app().await;
    let (olga, owner) = Api::developer(&app, "olga").await;
    let (carl, carl_api) = Api::developer(&app, "carl").await;
    let (cora, cora_api) = Api::developer(&app, "cora").await;
    let id = owned_client(&owner).await;
    for login in ["carl", "cora"] {
        assert_eq!(add(&owner, &id, login).await.status, 201);
    }

    let r = carl_api.delete(&co_owner(&id, &carl.id)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(carl_api.get(&path(routes::CLIENT, &id)).await.status, 404);
    assert_eq!(carl_api.get(&team_of(&id)).await.status, 404);
    let removed = app.audit_events_of("client.member_removed").await;
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["user_id"], json!(carl.id));

    let r = owner.delete(&co_owner(&id, &cora.id)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(cora_api.get(&path(routes::CLIENT, &id)).await.status, 404);
    assert_eq!(members(&owner, &id).await, [row(&olga, "owner", true)]);
    assert_eq!(app.count("client_members").await, 0);
    assert_eq!(owner.delete(&co_owner(&id, &cora.id)).await.status, 404);
}
