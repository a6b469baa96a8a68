//! The OpenAPI document, and the portal's API made once at start-up.

use super::*;

#[tokio::test]
async fn the_openapi_document_is_public_and_describes_every_endpoint() {
    let app = spawn_app().await;
    let r = http()
        .get(format!("{}{}", app.base, routes::OPENAPI))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    for (p, methods) in [
        (routes::CLIENTS, &["get", "post"][..]),
        (routes::CLIENT, &["get", "put", "delete"][..]),
        (routes::ROTATE_SECRET, &["post"][..]),
        (routes::DISABLE, &["post"][..]),
        (routes::ENABLE, &["post"][..]),
        (routes::REQUESTS, &["get", "post"][..]),
        (routes::REQUEST, &["get"][..]),
        (routes::APPROVE, &["post"][..]),
        (routes::REJECT, &["post"][..]),
        (routes::SCOPES, &["get"][..]),
        (routes::SCOPE, &["put"][..]),
        (routes::RULES, &["get", "post"][..]),
        (routes::RULE, &["put", "delete"][..]),
        (routes::TEAM, &["get"][..]),
        (routes::CO_OWNERS, &["post"][..]),
        (routes::CO_OWNER, &["delete"][..]),
        (routes::TRANSFER, &["put", "delete"][..]),
        (routes::TAKE_OVER, &["post"][..]),
        (routes::TRANSFERS, &["get"][..]),
        (routes::ACCEPT_TRANSFER, &["post"][..]),
        (routes::DECLINE_TRANSFER, &["post"][..]),
    ] {
        for m in methods {
            assert!(paths[p].get(*m).is_some(), "{m} {p} is documented");
        }
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(doc["components"]["schemas"]["ClientView"].is_object());
}

#[tokio::test]
async fn the_portal_api_is_ensured_once_even_when_processes_start_together() {
    use domain::entities::{resource, scope};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let dir = tempfile::tempdir().unwrap();
    let db = domain::platform::db::connect(&fresh_database_url(dir.path()).await)
        .await
        .unwrap();
    domain::platform::db::migrate(&db).await.unwrap();
    let issuer = "https://login.example.edu/";
    let (a, b) = tokio::join!(
        domain::apis::ensure_portal_api(&db, issuer, START),
        domain::apis::ensure_portal_api(&db, issuer, START),
    );
    a.unwrap();
    b.unwrap();
    domain::apis::ensure_portal_api(&db, issuer, START)
        .await
        .unwrap();
    let apis = resource::Entity::find()
        .filter(resource::Column::Audience.eq("https://login.example.edu/api/v1"))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(apis, 1);
    let s = scope::Entity::find_by_id("portal".to_owned())
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert!(s.requires_approval);
}
