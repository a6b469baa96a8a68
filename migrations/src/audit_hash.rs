//! The audit chain's row hash, version 1. It lives here, not in `domain`, because
//! migration m0006 must hash the rows that existed before the chain with exactly the
//! function the appender uses, and a migration may only depend on frozen code: a
//! future encoding would be a new function and a new migration, never an edit here.
//!
//! Encoding (unambiguous, easy to re-implement in any language): the ASCII tag
//! `portcullis-audit-v1`, then each field in order —
//! seq, occurred_at (8-byte big-endian signed integers), event_type, actor_kind,
//! actor_id, target_kind, target_id, ip, data, prev_hash — where a text field is
//! `0x01`, its UTF-8 length as a 4-byte big-endian integer, then its bytes, and an
//! absent (NULL) one is the single byte `0x00`. The hash is the lowercase hex
//! SHA-256 of that byte string. `data` is hashed as the stored text, byte for byte.

use sha2::{Digest, Sha256};

/// `prev_hash` of the first event (seq 1).
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hashed fields of one audit event.
#[derive(Clone, Copy, Debug)]
pub struct HashedFields<'a> {
    pub seq: i64,
    pub occurred_at: i64,
    pub event_type: &'a str,
    pub actor_kind: &'a str,
    pub actor_id: Option<&'a str>,
    pub target_kind: Option<&'a str>,
    pub target_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub data: &'a str,
    pub prev_hash: &'a str,
}

pub fn row_hash(f: &HashedFields<'_>) -> String {
    let mut h = Sha256::new();
    h.update(b"portcullis-audit-v1");
    h.update(f.seq.to_be_bytes());
    h.update(f.occurred_at.to_be_bytes());
    for field in [
        Some(f.event_type),
        Some(f.actor_kind),
        f.actor_id,
        f.target_kind,
        f.target_id,
        f.ip,
        Some(f.data),
        Some(f.prev_hash),
    ] {
        match field {
            None => h.update([0u8]),
            Some(s) => {
                h.update([1u8]);
                // Fields are far below 4 GiB; saturate rather than wrap if one is not.
                h.update(u32::try_from(s.len()).unwrap_or(u32::MAX).to_be_bytes());
                h.update(s.as_bytes());
            }
        }
    }
    h.finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> HashedFields<'static> {
        HashedFields {
            seq: 1,
            occurred_at: 1_790_000_000,
            event_type: "user.created",
            actor_kind: "operator",
            actor_id: None,
            target_kind: Some("user"),
            target_id: Some("u1"),
            ip: None,
            data: "{}",
            prev_hash: GENESIS,
        }
    }

    #[test]
    fn every_field_changes_the_hash() {
        let h = row_hash(&base());
        assert_eq!(h.len(), 64);
        assert_ne!(row_hash(&HashedFields { seq: 2, ..base() }), h);
        assert_ne!(
            row_hash(&HashedFields {
                data: "{ }",
                ..base()
            }),
            h
        );
        assert_ne!(
            row_hash(&HashedFields {
                ip: Some(""),
                ..base()
            }),
            h
        );
        assert_ne!(
            row_hash(&HashedFields {
                prev_hash: "x",
                ..base()
            }),
            h
        );
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        let a = HashedFields {
            actor_id: Some("ab"),
            target_kind: Some("c"),
            ..base()
        };
        let b = HashedFields {
            actor_id: Some("a"),
            target_kind: Some("bc"),
            ..base()
        };
        assert_ne!(row_hash(&a), row_hash(&b));
    }
}
