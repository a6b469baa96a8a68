//! Periodic work the server runs in the background.

pub mod cleanup;
