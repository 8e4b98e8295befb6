//! Logging: `tracing` to stderr and to a daily rolling file in `<data dir>/logs/`.
//!
//! Invariant: no password, session token, ID-card number, phone or bank account number is ever a
//! field of a log event. Accounts are logged by 户号 only; users by user name. The log directory is
//! owner-only (0700, and the log files found there at start 0600: `files`).

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{EnvFilter, fmt, layer::SubscriberExt, util::SubscriberInitExt};

/// Install the subscriber. Keep the returned guard alive for the life of the process so the file
/// writer flushes. `RUST_LOG` overrides `default` (e.g. `info` for the app, `warn` for the CLI,
/// whose stdout and stderr scripts read).
pub fn init(log_dir: Option<&Path>, default: &str) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(format!("{default},sqlx=warn")));
    let stderr = fmt::layer().with_writer(std::io::stderr).with_target(false);
    let (file_layer, guard) = match log_dir.filter(|d| prepare_dir(d).is_ok()) {
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

/// The log directory, owner-only, with the files already in it made owner-only too.
fn prepare_dir(dir: &Path) -> crate::Result<()> {
    crate::files::own_dir(dir)?;
    crate::files::tighten_files(dir)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_log_directory_and_its_files_are_owner_only() {
        let data = tempfile::tempdir().unwrap();
        let logs = data.path().join("logs");
        std::fs::create_dir(&logs).unwrap();
        std::fs::set_permissions(&logs, std::fs::Permissions::from_mode(0o755)).unwrap();
        let old = logs.join("cashdesk.log.2026-12-01");
        std::fs::write(&old, "a line\n").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        super::prepare_dir(&logs).unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&logs), mode(&old)), (0o700, 0o600), "a log written by an older build is tightened too");
        let fresh = data.path().join("new/logs");
        super::prepare_dir(&fresh).unwrap();
        assert_eq!(mode(&fresh), 0o700);
    }
}
