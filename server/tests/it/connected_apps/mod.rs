//! Seeds 000, 002 and 004: people see and revoke the apps they allowed
//! ("My apps"), narrow what an app may do, and administrators change run-time
//! settings and the scope catalogue.
//!
//! - `people`: revoking and narrowing an app, a disabled person's tokens;
//! - `settings`: lifetimes and the third-party switch at run time;
//! - `catalogue`: catalogue edits on the consent page, asking only for what is new;
//! - `admin`: an administrator revokes a person's authorization.

mod admin;
mod catalogue;
mod people;
mod settings;

use domain::accounts::Role;

use crate::helpers::*;
use crate::rp::*;

pub(super) async fn setup() -> (TestApp, Creds) {
    let app = spawn_app().await;
    create_user(&app.db, "alice", Role::User).await;
    create_user(&app.db, "bob", Role::User).await;
    let rp = register(&app, notebook(&["openid", "profile", "email"])).await;
    (app, rp)
}
