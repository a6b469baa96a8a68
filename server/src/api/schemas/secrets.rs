//! A client's secrets in the REST API: rotation with an overlap (the new secret
//! shown once) and the list of working secrets (never a secret or its hash).

use domain::clients::Overlap;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How long the previous secret keeps working.
#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema)]
pub enum SecretOverlap {
    /// The old secret stops at once.
    #[default]
    #[serde(rename = "none")]
    None,
    #[serde(rename = "1h")]
    OneHour,
    #[serde(rename = "24h")]
    OneDay,
    #[serde(rename = "7d")]
    SevenDays,
}

impl From<SecretOverlap> for Overlap {
    fn from(o: SecretOverlap) -> Self {
        match o {
            SecretOverlap::None => Overlap::None,
            SecretOverlap::OneHour => Overlap::OneHour,
            SecretOverlap::OneDay => Overlap::OneDay,
            SecretOverlap::SevenDays => Overlap::SevenDays,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rotate {
    /// Default `none`.
    #[serde(default)]
    pub overlap: SecretOverlap,
}

/// A new secret: shown here once, never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecret {
    pub client_id: String,
    pub client_secret: String,
    /// Until when the previous secret still works (Unix seconds).
    pub previous_secret_expires_at: i64,
}

/// A secret that still works (never the secret itself, nor its hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct SecretView {
    /// Names the secret for `DELETE …/secrets/{secret_id}`.
    pub id: String,
    /// Unix seconds.
    pub created_at: i64,
    /// When it stops working (Unix seconds), after a rotation; null: until rotated.
    pub expires_at: Option<i64>,
    /// The newest use the server knows of (Unix seconds; recorded about once a
    /// minute), or null: never used.
    pub last_used_at: Option<i64>,
}

/// The client's working secrets, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecretList {
    pub client_id: String,
    pub secrets: Vec<SecretView>,
}
