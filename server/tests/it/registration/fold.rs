//! Folding duplicate registrations: the same registrant registering the same
//! software again replaces its unadmitted twin (one card in the queue, even when
//! the registrations race), is refused after a refusal, and leaves an admitted
//! twin alone.

use domain::settings::RegistrationMode;

use super::*;

fn agent(name: &str) -> Value {
    let mut body = web_metadata(name);
    body["software_id"] = json!("fold-agent");
    body
}

async fn pending_admissions(app: &TestApp) -> Vec<String> {
    Api::admin(app)
        .await
        .get("/api/v1/requests?kind=admission&status=pending&per_page=100")
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["client_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn registering_the_same_software_again_replaces_the_unadmitted_twin() {
    let app = spawn_app().await;
    set_mode(&app, RegistrationMode::Open).await;
    let before = app.count("dynamic_registrations").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let r = register_with(&app, None, &agent("Forgetful agent")).await;
        assert_eq!(r.status, 201, "{}", r.body);
        ids.push(s(&r.json(), "client_id").to_owned());
    }
    // Three answers, one client: the last; one card.
    assert_eq!(app.count("dynamic_registrations").await, before + 1);
    assert_eq!(pending_admissions(&app).await, vec![ids[2].clone()]);
    let ev = app.audit_events_of("client.registered_dynamically").await;
    assert_eq!(ev.last().unwrap()["replaces"], json!([ids[1]]));
    let deleted = app.audit_events_of("client.deleted").await;
    assert_eq!(deleted.len(), 2);
    assert_eq!(deleted[0]["folded_into"], ids[1].as_str());

    // Not twins: another name, other redirect URIs, no software_id.
    let other = register_with(&app, None, &agent("Another agent")).await;
    assert_eq!(other.status, 201);
    let mut moved = agent("Forgetful agent");
    moved["redirect_uris"] = json!(["https://elsewhere.example/cb"]);
    assert_eq!(register_with(&app, None, &moved).await.status, 201);
    let mut anonymous = agent("Forgetful agent");
    anonymous.as_object_mut().unwrap().remove("software_id");
    assert_eq!(register_with(&app, None, &anonymous).await.status, 201);
    assert_eq!(register_with(&app, None, &anonymous).await.status, 201);
    assert_eq!(app.count("dynamic_registrations").await, before + 5);
    assert_eq!(pending_admissions(&app).await.len(), 5);
}

#[tokio::test]
async fn racing_twins_leave_one_card() {
    let app = spawn_app().await;
    set_mode(&app, RegistrationMode::Open).await;
    let before = app.count("dynamic_registrations").await;
    let base = app.base.clone();
    let statuses = burst(8, move |_| {
        let base = base.clone();
        async move {
            reqwest::Client::new()
                .post(format!("{base}/oauth/register"))
                .json(&agent("Racing agent"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    })
    .await;
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    assert_eq!(app.count("dynamic_registrations").await, before + 1);
    assert_eq!(pending_admissions(&app).await.len(), 1);
}

#[tokio::test]
async fn a_refused_twin_refuses_the_next_and_an_admitted_one_is_left_alone() {
    let app = spawn_app().await;
    set_mode(&app, RegistrationMode::Open).await;
    let admin = Api::admin(&app).await;
    let first = register_with(&app, None, &agent("Refused agent"))
        .await
        .json();
    let req = admin
        .get("/api/v1/requests?kind=admission&status=pending")
        .await
        .json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = admin
        .post(
            &format!("/api/v1/requests/{req}/reject"),
            json!({ "reason": "no" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let before = app.count("dynamic_registrations").await;
    let r = register_with(&app, None, &agent("Refused agent")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.json()["error"], "access_denied");
    assert_eq!(app.count("dynamic_registrations").await, before);
    assert!(app.count("dynamic_registrations").await > 0 && s(&first, "client_id").len() > 10);

    // Admitted: a new registration is a client (and a card) of its own.
    let kept = register_with(&app, None, &agent("Admitted agent"))
        .await
        .json();
    admit(&app, s(&kept, "client_id")).await;
    let again = register_with(&app, None, &agent("Admitted agent")).await;
    assert_eq!(again.status, 201, "{}", again.body);
    assert_eq!(app.count("dynamic_registrations").await, before + 2);
    assert_eq!(
        pending_admissions(&app).await,
        vec![s(&again.json(), "client_id").to_owned()]
    );
}
