//! Integration tests: the real application on port 0 against a fresh database —
//! SQLite by default, PostgreSQL when `TEST_BACKEND=postgres` and
//! `TEST_DATABASE_URL` points at a server (each test gets its own database).

mod account;
mod accounts;
mod audit;
mod cimd;
mod cli;
mod client_changes;
mod client_fields;
mod client_keys;
mod cluster;
mod connected_apps;
mod cors;
mod crash;
mod csrf;
mod device;
mod dpop;
mod first_sign_in;
mod hardening;
mod helpers;
mod jwe;
mod logout;
mod metrics;
mod nodes;
mod oauth;
mod oidc;
mod openapi_fuzz;
mod pages;
mod pairwise;
mod pairwise_registration;
mod par;
mod portal;
mod recovery;
mod registration;
mod request_objects;
mod request_uris;
mod rest;
mod rp;
mod second_factor;
mod sign_in;
mod statuses;
mod throttle_clients;
mod throttle_sign_in;
mod token_bounds;
mod trusted_clients;
mod verified_email;
