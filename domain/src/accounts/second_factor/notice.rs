//! The mail a person gets when a second factor is set up or turned off on their
//! account: if it was not them, they learn of it (written in the change's
//! transaction, sent by the outbox).

use sea_orm::ConnectionTrait;

use crate::accounts::users::User;
use crate::platform::clock::Timestamp;
use crate::DomainResult;

pub(crate) async fn queue<C: ConnectionTrait>(
    conn: &C,
    u: &User,
    enrolled: bool,
    now: Timestamp,
) -> DomainResult<()> {
    let (subject, what) = if enrolled {
        (
            "A second factor was set up on your Portcullis account",
            "set up an authenticator app as a second factor on",
        )
    } else {
        (
            "The second factor of your Portcullis account was turned off",
            "turned off the authenticator app (second factor) of",
        )
    };
    let body = format!(
        "Hello {name},\n\nsomeone signed in as you just {what} your Portcullis account '{username}'.\n\n\
         If this was not you, change your password at once and tell an administrator.\n",
        name = u.display_name,
        username = u.username,
    );
    crate::portal::notify::enqueue_email(conn, &u.email, subject, &body, now).await
}
