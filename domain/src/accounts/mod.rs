//! Accounts and roles.

pub mod directory;
pub mod email_change;
pub mod first_admin;
pub mod manage;
pub mod own;
pub mod passkeys;
pub mod personal_tokens;
pub mod recovery;
pub mod second_factor;
pub mod sessions;
pub mod sign_in;
pub mod terms;
pub mod throttle;
pub mod upstream;
pub mod users;

pub use first_admin::*;
pub use manage::*;
pub use users::*;
