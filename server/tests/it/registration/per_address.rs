//! Open registration is limited per address (checked and counted in one step,
//! under real concurrency); registration with an initial access token is not.

use domain::settings::RegistrationMode;

use super::*;

#[tokio::test]
async fn open_registration_is_limited_per_address_even_under_concurrency() {
    let app = spawn_app_with(|s| {
        s.registration.open_per_address = 5;
        s.registration.open_window_secs = 3600;
    })
    .await;
    set_mode(&app, RegistrationMode::Open).await;
    let before = app.count("clients").await;
    let base = app.base.clone();
    let statuses = burst(12, move |i| {
        let base = base.clone();
        async move {
            reqwest::Client::new()
                .post(format!("{base}/oauth/register"))
                .json(&service_metadata(&format!("Flood {i}")))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    })
    .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        7,
        "{statuses:?}"
    );
    assert_eq!(app.count("clients").await, before + 5);

    // Refused with the RFC's shape, a Retry-After, and nothing stored.
    let r = register_with(&app, None, &service_metadata("One more")).await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_request");
    let retry: i64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    assert_eq!(app.count("clients").await, before + 5);

    // Registrants an administrator handed a token to are not counted.
    set_mode(&app, RegistrationMode::Token).await;
    let (_, token) = mint(&app, 10, 3600).await;
    for i in 0..3 {
        let r = register_with(&app, Some(&token), &service_metadata(&format!("Known {i}"))).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
}
