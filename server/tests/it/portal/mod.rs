//! The developer portal through its server functions over real HTTP: clients,
//! secrets, approval-gated changes, scope requests and decisions, CEL rules,
//! expiry, reminders and e-mail (a real SMTP listener on loopback).

mod clients;
mod developer_access;
mod free_scopes;
mod lifecycle;
mod mail;
mod openid_scopes;
mod requests;
mod rules;
mod secrets;
mod stage_default;
mod stages;
mod usage;
