use super::*;

fn valid() -> Settings {
    Settings {
        session_secret: SecretString::new("s".repeat(40)),
        key_encryption_key: SecretString::new("k".repeat(40)),
        ..Settings::default()
    }
}

#[test]
fn defaults_with_secrets_are_valid() {
    valid().validate().unwrap();
}

#[test]
fn the_role_claim_may_not_overwrite_a_standard_claim() {
    for name in ["sub", "email", "aud", "has space", ""] {
        let s = Settings {
            role_claim: name.into(),
            ..valid()
        };
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains("role_claim"), "{name}: {e}");
    }
}

#[test]
fn debug_output_redacts_secrets_and_database_password() {
    let s = Settings {
        database_url: SecretString::new("postgres://app:hunter2@db/portcullis"),
        admin_password: Some(SecretString::new("admin-password-123")),
        ..valid()
    };
    let dbg = format!("{s:?}");
    assert!(!dbg.contains("hunter2"), "{dbg}");
    assert!(!dbg.contains("ssssssss"), "{dbg}");
    assert!(!dbg.contains("admin-password-123"), "{dbg}");
    assert!(dbg.contains("postgres://app:***@db/portcullis"), "{dbg}");
}

#[test]
fn http_issuer_is_only_allowed_on_loopback() {
    assert!(domain::oauth::check_issuer("http://localhost:3000").is_ok());
    assert!(domain::oauth::check_issuer("https://id.example.com").is_ok());
    assert!(domain::oauth::check_issuer("http://id.example.com").is_err());
    assert!(domain::oauth::check_issuer("https://id.example.com/?x=1").is_err());
    assert!(domain::oauth::check_issuer("not a url").is_err());
}

#[test]
fn short_secrets_are_refused_with_the_setting_named() {
    let s = Settings {
        session_secret: SecretString::new("short"),
        ..valid()
    };
    let e = s.validate().unwrap_err().to_string();
    assert!(e.contains("session_secret must be set"), "{e}");
}

#[test]
fn unknown_keys_in_a_file_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    std::fs::write(
        &path,
        "issuer = \"http://localhost:3000\"\nsesion_secret = \"x\"\n",
    )
    .unwrap();
    let e = Settings::load(Some(&path)).unwrap_err().to_string();
    assert!(e.contains("unknown setting `sesion_secret`"), "{e}");
    std::fs::write(&path, "[session]\nidle = 5\n").unwrap();
    let e = Settings::load(Some(&path)).unwrap_err().to_string();
    assert!(e.contains("unknown setting `session.idle`"), "{e}");
}

#[test]
fn a_missing_settings_file_is_an_error() {
    let e = Settings::load(Some(Path::new("/nonexistent/portcullis.toml"))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "settings file /nonexistent/portcullis.toml does not exist"
    );
}

#[test]
fn device_flow_settings_are_bounded() {
    for (code, interval, pending) in [
        (59, 5, 100),
        (1801, 5, 100),
        (600, 0, 100),
        (600, 61, 100),
        (600, 5, 0),
        (600, 5, 10_001),
    ] {
        let s = Settings {
            device: DeviceSettings {
                code_lifetime_secs: code,
                poll_interval_secs: interval,
                max_pending_per_client: pending,
            },
            ..valid()
        };
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains("device."), "{code} {interval} {pending}: {e}");
    }
}

#[test]
fn the_token_exchange_chain_depth_is_bounded() {
    for depth in [0, 11] {
        let s = Settings {
            token_exchange: TokenExchangeSettings {
                max_chain_depth: depth,
            },
            ..valid()
        };
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains("token_exchange.max_chain_depth"), "{depth}: {e}");
    }
    let ok = Settings {
        token_exchange: TokenExchangeSettings {
            max_chain_depth: 10,
        },
        ..valid()
    };
    assert!(ok.validate().is_ok());
}

#[test]
fn extra_root_certificates_must_be_a_readable_pem_bundle() {
    let dir = std::env::temp_dir().join(format!("portcullis-roots-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let not_pem = dir.join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    for path in [dir.join("missing.pem"), not_pem] {
        let mut s = valid();
        s.outbound.root_certificates = Some(path.to_string_lossy().into_owned());
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains("outbound.root_certificates"), "{e}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_ldap_section_is_read_checked_and_its_password_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    let file = |url: &str| {
        format!(
            "session_secret = \"{}\"\nkey_encryption_key = \"{}\"\n\
             [ldap]\nurl = \"{url}\"\nbase_dn = \"ou=people,dc=campus,dc=example\"\n\
             bind_dn = \"cn=portcullis,dc=campus,dc=example\"\nbind_password = \"directory-hunter2\"\n\
             [ldap.groups]\nbase_dn = \"ou=groups,dc=campus,dc=example\"\n\
             admin = [\"cn=admins,ou=groups,dc=campus,dc=example\"]\n",
            "s".repeat(40),
            "k".repeat(40)
        )
    };
    std::fs::write(&path, file("ldaps://ldap.campus.example")).unwrap();
    let s = Settings::load(Some(&path)).unwrap();
    let ldap = s.ldap.as_ref().unwrap();
    assert_eq!(ldap.user_filter, "(uid={username})");
    assert_eq!(ldap.attributes.email, "mail");
    assert_eq!(ldap.groups.as_ref().unwrap().filter, "(member={dn})");
    assert!(!format!("{s:?}").contains("directory-hunter2"));
    // Passwords would cross the network in the clear: refused with the key named.
    std::fs::write(&path, file("ldap://ldap.campus.example")).unwrap();
    let e = Settings::load(Some(&path)).unwrap_err().to_string();
    assert!(e.contains("ldap.url") && e.contains("in the clear"), "{e}");
    std::fs::write(
        &path,
        file("ldaps://ldap.campus.example") + "[ldap.extra]\n",
    )
    .unwrap();
    let e = Settings::load(Some(&path)).unwrap_err().to_string();
    assert!(e.contains("ldap.extra"), "{e}");
}

#[test]
fn upstream_sections_are_read_checked_and_their_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    let file = |issuer: &str, extra: &str| {
        format!(
            "session_secret = \"{}\"\nkey_encryption_key = \"{}\"\n\
             [[upstream]]\nid = \"campus\"\nname = \"Campus IdM\"\nissuer = \"{issuer}\"\n\
             client_id = \"portcullis\"\nclient_secret = \"upstream-hunter2\"\n\
             domains = [\"campus.example\"]\n{extra}",
            "s".repeat(40),
            "k".repeat(40)
        )
    };
    std::fs::write(&path, file("https://idp.campus.example", "")).unwrap();
    let s = Settings::load(Some(&path)).unwrap();
    let p = &s.upstream[0];
    assert_eq!(p.claims.username, "preferred_username");
    assert_eq!(p.scopes, ["profile", "email"]);
    assert!(p.provision);
    assert!(!format!("{s:?}").contains("upstream-hunter2"));
    // Codes and ID tokens would cross the network in the clear.
    std::fs::write(&path, file("http://idp.campus.example", "")).unwrap();
    let e = Settings::load(Some(&path)).unwrap_err().to_string();
    assert!(
        e.contains("upstream 'campus'") && e.contains("https"),
        "{e}"
    );
    // Two providers for one domain; an unknown key.
    let twice = "[[upstream]]\nid = \"other\"\nname = \"Other\"\n\
                 issuer = \"https://other.example\"\nclient_id = \"c\"\nclient_secret = \"s\"\n\
                 domains = [\"Campus.Example\"]\n";
    std::fs::write(&path, file("https://idp.campus.example", twice)).unwrap();
    let e = Settings::load(Some(&path)).unwrap_err().to_string();
    assert!(e.contains("two providers"), "{e}");
    std::fs::write(
        &path,
        file("https://idp.campus.example", "colour = \"blue\"\n"),
    )
    .unwrap();
    let e = Settings::load(Some(&path)).unwrap_err().to_string();
    assert!(e.contains("colour"), "{e}");
}
