//! Recovery codes: ten one-time codes made at enrolment (and on request, which
//! voids the old ones), shown once. Only a SHA-256 of the person's id and the code
//! is stored; spending one deletes its row, so of two uses at once one wins.

use rand::Rng;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use crate::entities::recovery_code as rc;
use crate::platform::clock::Timestamp;
use crate::platform::secret::token_hash;
use crate::DomainResult;

pub const COUNT: usize = 10;
/// Ten base32 characters: 50 bits each, shown as `XXXXX-XXXXX`.
const CHARS: usize = 10;
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn hash(user_id: &str, code: &str) -> String {
    token_hash(&format!("{user_id}:{code}"))
}

/// The code as typed, in its stored form: case, spaces and dashes do not matter.
pub fn normalise(code: &str) -> Option<String> {
    let c: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (c.len() == CHARS && c.bytes().all(|b| ALPHABET.contains(&b))).then_some(c)
}

/// Replaces the person's codes with ten new ones; the codes, to be shown once.
pub async fn replace<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    now: Timestamp,
) -> DomainResult<Vec<String>> {
    rc::Entity::delete_many()
        .filter(rc::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    let mut rng = rand::rngs::OsRng;
    let mut shown = Vec::with_capacity(COUNT);
    let mut rows = Vec::with_capacity(COUNT);
    for _ in 0..COUNT {
        let code: String = (0..CHARS)
            .map(|_| ALPHABET[rng.gen_range(0..32usize)] as char)
            .collect();
        rows.push(rc::ActiveModel {
            code_hash: Set(hash(user_id, &code)),
            user_id: Set(user_id.to_owned()),
            created_at: Set(now),
        });
        shown.push(format!("{}-{}", &code[..5], &code[5..]));
    }
    rc::Entity::insert_many(rows).exec(conn).await?;
    Ok(shown)
}

/// Spends `code` of `user_id`; true only for the one use that deleted it.
pub async fn spend<C: ConnectionTrait>(conn: &C, user_id: &str, code: &str) -> DomainResult<bool> {
    let Some(code) = normalise(code) else {
        return Ok(false);
    };
    Ok(rc::Entity::delete_many()
        .filter(rc::Column::CodeHash.eq(hash(user_id, &code)))
        .filter(rc::Column::UserId.eq(user_id))
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}

pub async fn remaining<C: ConnectionTrait>(conn: &C, user_id: &str) -> DomainResult<u64> {
    Ok(rc::Entity::find()
        .filter(rc::Column::UserId.eq(user_id))
        .count(conn)
        .await?)
}

pub async fn forget<C: ConnectionTrait>(conn: &C, user_id: &str) -> DomainResult<()> {
    rc::Entity::delete_many()
        .filter(rc::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}
