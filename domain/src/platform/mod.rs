//! What every context stands on, with no business rules of its own.

pub mod cache;
pub mod changes;
pub mod clock;
pub mod db;
pub mod fetch;
pub mod lookalike;
pub mod mail;
pub mod once;
pub mod page;
pub mod password;
pub mod secret;
pub mod strength;
pub mod text;
