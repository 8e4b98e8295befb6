//! Logging: `tracing` to stderr and to a daily rolling file in `<data dir>/logs/`.
//!
//! Invariant: no password, session token, ID-card number, phone or bank account number is ever a
//! field of a log event. Accounts are logged by 户号 only; users by user name.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{EnvFilter, fmt, layer::SubscriberExt, util::SubscriberInitExt};

/// Install the subscriber. Keep the returned guard alive for the life of the process so the file
/// writer flushes. `RUST_LOG` overrides `default` (e.g. `info` for the app, `warn` for the CLI,
/// whose stdout and stderr scripts read).
pub fn init(log_dir: Option<&Path>, default: &str) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(format!("{default},sqlx=warn")));
    let stderr = fmt::layer().with_writer(std::io::stderr).with_target(false);
    let (file_layer, guard) = match log_dir.and_then(|d| std::fs::create_dir_all(d).ok().map(|_| d)) {
        Some(dir) => {
            let appender = tracing_appender::rolling::daily(dir, "cashdesk.log");
            let (writer, guard) = tracing_appender::non_blocking(appender);
            (Some(fmt::layer().with_writer(writer).with_ansi(false)), Some(guard))
        }
        None => (None, None),
    };
    // A second init (tests, embedded use) keeps the first subscriber.
    let _ = tracing_subscriber::registry().with(filter).with(stderr).with(file_layer).try_init();
    guard
}
