//! `ClientPatch` registration and edit rules.

use super::*;

fn web() -> ClientMetadata {
    ClientPatch {
        name: Some("Notebook".into()),
        redirect_uris: Some(vec!["https://notebook.example/cb".into()]),
        logo_uri: Some(Some("https://notebook.example/logo.png".into())),
        ..Default::default()
    }
    .register(ApplicationType::Web)
    .unwrap()
}

fn field(e: DomainError) -> &'static str {
    match e {
        DomainError::Invalid { field, .. } => field,
        other => panic!("not a field error: {other:?}"),
    }
}

#[test]
fn every_field_with_a_problem_is_reported_at_once_and_the_first_is_the_error() {
    let patch = ClientPatch {
        name: Some("  ".into()),
        redirect_uris: Some(vec!["https://*.example.com/cb".into()]),
        logo_uri: Some(Some("not a uri".into())),
        contacts: Some(vec!["nobody".into()]),
        ..Default::default()
    };
    let all: Vec<_> = patch
        .clone()
        .registration_problems(ApplicationType::Web)
        .into_iter()
        .map(field)
        .collect();
    assert_eq!(all, ["name", "redirect_uris", "logo_uri", "contacts"]);
    assert_eq!(
        field(patch.register(ApplicationType::Web).unwrap_err()),
        "name"
    );
    let fine = ClientPatch {
        name: Some("Fine".into()),
        ..Default::default()
    };
    assert!(fine.edit_problems(&web()).is_empty());
}

#[test]
fn a_registration_gets_the_defaults_of_its_type() {
    let m = web();
    assert_eq!(m.token_endpoint_auth_method, AuthMethod::ClientSecretBasic);
    assert_eq!(
        m.grant_types,
        [GrantType::AuthorizationCode, GrantType::RefreshToken]
    );
    assert_eq!(m.id_token_signed_response_alg, SigningAlg::RS256);
    let native = ClientPatch {
        name: Some("App".into()),
        redirect_uris: Some(vec!["http://127.0.0.1/cb".into()]),
        grant_types: Some(vec![]),
        ..Default::default()
    }
    .register(ApplicationType::Native)
    .unwrap();
    assert!(native.is_public(), "native clients are public by default");
    let service = ClientPatch {
        name: Some("Bot".into()),
        ..Default::default()
    }
    .register(ApplicationType::Service)
    .unwrap();
    assert_eq!(service.grant_types, [GrantType::ClientCredentials]);
}

#[test]
fn an_edit_changes_only_what_it_sends_and_validates_the_result() {
    let m = web();
    let renamed = ClientPatch {
        name: Some("  Renamed ".into()),
        ..Default::default()
    }
    .edit(&m)
    .unwrap();
    assert_eq!(renamed.name, "Renamed", "trimmed");
    assert_eq!(renamed.logo_uri, m.logo_uri, "not sent: kept");
    let cleared = ClientPatch {
        logo_uri: Some(None),
        ..Default::default()
    }
    .edit(&m)
    .unwrap();
    assert_eq!(cleared.logo_uri, None, "sent as null: cleared");
    let wildcard = ClientPatch {
        redirect_uris: Some(vec!["https://*.example.com/cb".into()]),
        ..Default::default()
    };
    assert_eq!(field(wildcard.edit(&m).unwrap_err()), "redirect_uris");
    let unknown = ClientPatch {
        grant_types: Some(vec!["implicit".into()]),
        ..Default::default()
    };
    assert_eq!(field(unknown.edit(&m).unwrap_err()), "grant_types");
    let public_web = ClientPatch {
        token_endpoint_auth_method: Some(AuthMethod::None),
        ..Default::default()
    };
    assert_eq!(
        field(public_web.edit(&m).unwrap_err()),
        "token_endpoint_auth_method"
    );
}

#[test]
fn an_edit_neither_adds_nor_drops_the_password_grant() {
    let mut m = web();
    let add = ClientPatch {
        grant_types: Some(vec!["authorization_code".into(), "password".into()]),
        ..Default::default()
    };
    assert!(!add.clone().edit(&m).unwrap().allows(GrantType::Password));
    m.grant_types.push(GrantType::Password);
    let drop = ClientPatch {
        grant_types: Some(vec!["authorization_code".into()]),
        ..Default::default()
    };
    let kept = drop.edit(&m).unwrap();
    assert_eq!(
        kept.grant_types,
        [GrantType::AuthorizationCode, GrantType::Password]
    );
}

#[test]
fn all_sends_every_field_and_round_trips() {
    let m = web();
    assert_eq!(ClientPatch::all(&m).edit(&m).unwrap(), m);
}

#[test]
fn request_uris_are_web_uris_of_512_ascii_characters_without_a_fragment() {
    let m = web();
    let with = |uris: Vec<String>| ClientPatch {
        request_uris: Some(uris),
        ..Default::default()
    };
    let ok = with(vec![
        " https://notebook.example/ro.jwt ".into(),
        "http://127.0.0.1:8080/ro.jwt".into(),
        "https://notebook.example/ro.jwt".into(),
    ])
    .edit(&m)
    .unwrap();
    assert_eq!(
        ok.request_uris,
        [
            "https://notebook.example/ro.jwt",
            "http://127.0.0.1:8080/ro.jwt"
        ],
        "trimmed, once each"
    );
    let longest = format!("https://n.example/{}", "a".repeat(512 - 18));
    assert_eq!(longest.len(), limits::REQUEST_URI);
    assert!(with(vec![longest.clone()]).edit(&m).is_ok());
    for bad in [
        format!("{longest}a"),
        "https://notebook.example/ro.jwt#h".into(),
        "http://notebook.example/ro.jwt".into(),
        "https://notebook.example/é.jwt".into(),
        "ro.jwt".into(),
    ] {
        assert_eq!(
            field(with(vec![bad.clone()]).edit(&m).unwrap_err()),
            "request_uris",
            "{bad}"
        );
    }
    let eleven = (0..=limits::REQUEST_URIS)
        .map(|i| format!("https://n.example/{i}"))
        .collect();
    assert_eq!(field(with(eleven).edit(&m).unwrap_err()), "request_uris");
    let service = ClientPatch {
        name: Some("Robot".into()),
        ..Default::default()
    }
    .register(ApplicationType::Service)
    .unwrap();
    assert_eq!(
        field(
            with(vec!["https://n.example/ro.jwt".into()])
                .edit(&service)
                .unwrap_err()
        ),
        "request_uris"
    );
}
