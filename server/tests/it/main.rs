//! Integration tests: the real application on port 0 against a fresh database —
//! SQLite by default, PostgreSQL when `TEST_BACKEND=postgres` and
//! `TEST_DATABASE_URL` points at a server (each test gets its own database).

mod accounts;
mod audit;
mod cli;
mod connected_apps;
mod csrf;
mod helpers;
mod oauth;
mod oidc;
mod pages;
mod portal;
mod rest;
mod rp;
mod sign_in;
mod throttle_clients;
mod throttle_sign_in;
mod token_bounds;
