//! 本机文件: the files a counter writes besides its database are owner-only.
//!
//! What a counter writes holds customers' names, addresses, amounts and, on a refund form, a bank
//! account number: its data directory (database, WAL, logs), key files, backups, and the documents
//! an operator exports (`cashdeskctl ... --out FILE`, a batch of notices into a folder).
//!
//! Invariants (Unix; other systems keep their defaults, where the user's profile is private):
//! - a directory the counter creates is 0700 ([`private_dir`]); the app's data directory, and the
//!   directories under it that the counter owns (`logs/`), are made 0700 even when they exist;
//! - a file the counter writes is 0600 ([`write_private`], [`create_private`]), also when it
//!   replaces an existing file, whose mode would otherwise stay as it was;
//! - log files are made by the logging library with the process's default mode: they sit in the
//!   0700 `logs/` directory, and those found at start are tightened to 0600 ([`tighten_files`]).

use std::path::Path;

use crate::Result;

/// Create `dir` (and its missing parents) owner-only (0700). An existing directory is left as it
/// is: a folder a person named (`--folder /srv/notices`) is theirs to set.
pub fn private_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        if !dir.exists() {
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)?;
    Ok(())
}

/// Create `dir` owner-only, or make it owner-only when it exists (a directory the counter owns).
pub fn own_dir(dir: &Path) -> Result<()> {
    private_dir(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Make the regular files directly in `dir` owner-only (0600).
pub fn tighten_files(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Open `path` for writing, owner-only: created 0600, or truncated and made 0600 if it exists.
pub fn create_private(path: &Path) -> Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // `mode` applies only when the file is created.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// Write `bytes` to `path`, owner-only (see [`create_private`]).
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let mut file = create_private(path)?;
    file.write_all(bytes)?;
    file.flush()?;
    Ok(())
}

/// [`write_private`] off the async threads.
pub async fn write_private_async(path: &Path, bytes: Vec<u8>) -> Result<()> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || write_private(&path, &bytes))
        .await
        .map_err(|e| crate::Error::Internal(format!("writing a file did not finish: {e}")))?
}

// `cfg(test)` on its own: clippy's allow-unwrap-in-tests recognises a test module by it.
#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn written_files_and_made_directories_are_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let made = dir.path().join("a/b");
        private_dir(&made).unwrap();
        assert_eq!(mode(&made), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700, "the missing parents too");
        let file = made.join("out.pdf");
        std::fs::write(&file, b"old").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&file, b"new").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"new");
        assert_eq!(mode(&file), 0o600, "an existing file is made owner-only when it is replaced");
        let named = dir.path().join("named");
        std::fs::create_dir(&named).unwrap();
        std::fs::set_permissions(&named, std::fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&named).unwrap();
        assert_eq!(mode(&named), 0o755, "a folder a person chose is theirs");
        own_dir(&named).unwrap();
        assert_eq!(mode(&named), 0o700);
        std::fs::write(named.join("x.log"), b"x").unwrap();
        std::fs::set_permissions(named.join("x.log"), std::fs::Permissions::from_mode(0o644)).unwrap();
        tighten_files(&named).unwrap();
        assert_eq!(mode(&named.join("x.log")), 0o600);
    }
}
