//! The Portcullis server: settings, start-up, HTTP adapters and the CLI.

pub mod api;
pub mod audit_export;
pub mod backchannel;
pub mod cli;
pub mod health;
pub mod maintenance;
pub mod metrics;
pub mod middleware;
pub mod net;
pub mod notice;
pub mod oauth;
pub mod outbound;
pub mod settings;
pub mod startup;
pub mod telemetry;
pub mod text_guard;
