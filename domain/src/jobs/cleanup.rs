//! Periodic clean-up of rows that can no longer matter: expired sessions, codes,
//! refresh tokens, revocation-list entries past their token's expiry, and throttle
//! counters whose window and lock are over, back-channel logouts done long ago,
//! personal access tokens a month past their expiry.

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

use crate::accounts::sessions::{self, SessionPolicy};
use crate::accounts::throttle::ThrottlePolicy;
use crate::entities::{authorization_code, login_throttle, refresh_token, revoked_token};
use crate::platform::clock::Timestamp;
use crate::platform::once::Ledger;
use crate::DomainResult;

/// Used codes are kept this long after they expire, so a late replay still finds
/// them and revokes what they issued.
const CODE_GRACE_SECS: i64 = 24 * 3600;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub sessions: u64,
    pub codes: u64,
    pub refresh_tokens: u64,
    pub revoked_tokens: u64,
    pub throttle: u64,
    pub logout_deliveries: u64,
    pub pushed_requests: u64,
    pub assertion_jtis: u64,
    pub dpop_jtis: u64,
    pub device_codes: u64,
    pub account_tokens: u64,
    pub token_lineage: u64,
    pub personal_tokens: u64,
}

/// Delivered or given-up back-channel logouts are shown to developers this long.
const LOGOUT_DELIVERY_KEEP_SECS: i64 = 30 * 24 * 3600;

pub async fn purge<C: ConnectionTrait>(
    conn: &C,
    session_policy: SessionPolicy,
    throttle_policy: ThrottlePolicy,
    now: Timestamp,
) -> DomainResult<Purged> {
    Ok(Purged {
        sessions: sessions::purge_expired(conn, session_policy, now).await?,
        // A code row is the only record of the access token issued from it: keep it
        // until that token has expired too, so revoking the grant can still revoke it.
        codes: authorization_code::Entity::delete_many()
            .filter(authorization_code::Column::ExpiresAt.lt(now - CODE_GRACE_SECS))
            .filter(
                Condition::any()
                    .add(authorization_code::Column::IssuedJtiExp.is_null())
                    .add(authorization_code::Column::IssuedJtiExp.lt(now)),
            )
            .exec(conn)
            .await?
            .rows_affected,
        refresh_tokens: refresh_token::Entity::delete_many()
            .filter(refresh_token::Column::ExpiresAt.lt(now))
            .filter(
                Condition::any()
                    .add(refresh_token::Column::AccessExp.is_null())
                    .add(refresh_token::Column::AccessExp.lt(now)),
            )
            .exec(conn)
            .await?
            .rows_affected,
        revoked_tokens: revoked_token::Entity::delete_many()
            .filter(revoked_token::Column::ExpiresAt.lt(now))
            .exec(conn)
            .await?
            .rows_affected,
        throttle: login_throttle::Entity::delete_many()
            .filter(
                login_throttle::Column::WindowStartedAt
                    .lt(now - throttle_policy.longest_window_secs()),
            )
            .filter(
                Condition::any()
                    .add(login_throttle::Column::LockedUntil.is_null())
                    .add(login_throttle::Column::LockedUntil.lt(now)),
            )
            .exec(conn)
            .await?
            .rows_affected,
        logout_deliveries: crate::oauth::logout_outbox::purge(
            conn,
            now - LOGOUT_DELIVERY_KEEP_SECS,
        )
        .await?,
        pushed_requests: crate::oauth::pushed::purge(conn, now).await?,
        assertion_jtis: crate::platform::once::purge(conn, Ledger::ClientJwt, now).await?,
        dpop_jtis: crate::platform::once::purge(conn, Ledger::DpopProof, now).await?,
        device_codes: crate::oauth::device::purge(conn, now).await?,
        account_tokens: crate::accounts::recovery::purge_expired(conn, now).await?,
        token_lineage: crate::oauth::exchange::purge(conn, now).await?,
        personal_tokens: crate::accounts::personal_tokens::purge_expired(conn, now).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ActiveModelTrait, Set};

    #[tokio::test]
    async fn purge_removes_only_what_can_no_longer_matter() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::platform::db::connect(&format!("sqlite://{}/m.db", dir.path().display()))
            .await
            .unwrap();
        crate::platform::db::migrate(&db).await.unwrap();
        let now = 1_800_000_000;
        for (jti, exp) in [("old", now - 1), ("live", now + 300)] {
            revoked_token::ActiveModel {
                jti: Set(jti.into()),
                expires_at: Set(exp),
            }
            .insert(&db)
            .await
            .unwrap();
        }
        for (key, started, locked) in [
            ("ip:old", now - 2 * 86_400, None),
            ("ip:locked", now - 2 * 86_400, Some(now + 60)),
            ("ip:fresh", now - 10, None),
            // An open-registration counter lives for its window (up to a day).
            ("register-ip:192.0.2.1", now - 3600, None),
        ] {
            login_throttle::ActiveModel {
                key: Set(key.into()),
                failures: Set(1),
                window_started_at: Set(started),
                locked_until: Set(locked),
            }
            .insert(&db)
            .await
            .unwrap();
        }
        let p = purge(
            &db,
            SessionPolicy::default(),
            ThrottlePolicy::default(),
            now,
        )
        .await
        .unwrap();
        assert_eq!((p.revoked_tokens, p.throttle), (1, 1));
        let left: Vec<String> = revoked_token::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.jti)
            .collect();
        assert_eq!(left, vec!["live".to_owned()]);
        let keys: Vec<String> = login_throttle::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.key)
            .collect();
        assert!(
            keys.contains(&"ip:locked".to_owned())
                && keys.contains(&"ip:fresh".to_owned())
                && keys.contains(&"register-ip:192.0.2.1".to_owned())
                && keys.len() == 3,
            "{keys:?}"
        );
    }

    #[tokio::test]
    async fn a_code_stays_until_the_access_token_it_issued_has_expired() {
        use crate::oauth::codes::{issue_code, record_code_issuance, NewCode};
        use crate::platform::password::PasswordHasher;
        let dir = tempfile::tempdir().unwrap();
        let db = crate::platform::db::connect(&format!("sqlite://{}/c.db", dir.path().display()))
            .await
            .unwrap();
        crate::platform::db::migrate(&db).await.unwrap();
        let now = 1_800_000_000;
        let hasher = PasswordHasher::new();
        let user = crate::accounts::manage::create_user(
            &db,
            &hasher,
            &crate::accounts::AdminCtx::operator(),
            crate::accounts::manage::NewUser {
                username: "ada".into(),
                email: "ada@example.edu".into(),
                display_name: "Ada".into(),
                password: crate::platform::secret::SecretString::new("a long enough password"),
                role: crate::accounts::Role::User,
            },
            now,
        )
        .await
        .unwrap();
        let client = crate::clients::store::create(
            &db,
            &hasher,
            crate::audit::Actor::Operator,
            crate::clients::metadata::NewClient {
                metadata: crate::clients::ClientPatch {
                    name: Some("App".into()),
                    redirect_uris: Some(vec!["https://app.example.edu/cb".into()]),
                    ..Default::default()
                },
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap()
        .client;
        let new = NewCode {
            client_id: client.id.clone(),
            user_id: user.id.clone(),
            grant_id: "g".into(),
            redirect_uri: "https://app.example.edu/cb".into(),
            redirect_uri_given: true,
            scopes: vec!["openid".into()],
            nonce: None,
            code_challenge: "c".repeat(43),
            resource: None,
            auth_time: now,
            sid: None,
            claims_request: None,
            amr: None,
        };
        issue_code(&db, new.clone(), 60, now).await.unwrap();
        let hash = authorization_code::Entity::find()
            .one(&db)
            .await
            .unwrap()
            .unwrap()
            .code_hash;
        // Its access token lives far beyond the code's grace period.
        let long_exp = now + CODE_GRACE_SECS + 7200;
        record_code_issuance(&db, &hash, "jti-1", long_exp)
            .await
            .unwrap();
        issue_code(&db, new, 60, now).await.unwrap();
        let later = now + 60 + CODE_GRACE_SECS + 1;
        let p = purge(
            &db,
            SessionPolicy::default(),
            ThrottlePolicy::default(),
            later,
        )
        .await
        .unwrap();
        assert_eq!(p.codes, 1, "only the code without a live access token goes");
        let p = purge(
            &db,
            SessionPolicy::default(),
            ThrottlePolicy::default(),
            long_exp + 1,
        )
        .await
        .unwrap();
        assert_eq!(p.codes, 1, "then the other, once its token has expired");
    }
}
