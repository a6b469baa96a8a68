//! Logging with `tracing`: pretty or JSON, one span per request carrying its id.
//! Only the path is logged, never the query string (authorization responses and
//! some clients put codes and tokens there).

use tracing_subscriber::{fmt, EnvFilter};

use crate::settings::{LogFormat, LogSettings};

pub fn init(log: &LogSettings) {
    let filter = EnvFilter::try_new(&log.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_target(false);
    // try_init: tests build several applications in one process.
    let _ = match log.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}
