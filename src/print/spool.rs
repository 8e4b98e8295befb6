//! 打印队列: handing a rendered PDF to the operating system's spooler.
//!
//! Linux and macOS: CUPS's `lp -d PRINTER -n COPIES -o media=MEDIA FILE`. Windows: SumatraPDF
//! (`SumatraPDF.exe -print-to PRINTER -print-settings "Nx,paper=…" -silent FILE`), found through
//! `CASHDESK_SUMATRA`, next to the Cashdesk executable, or on `PATH`; SumatraPDF is chosen over
//! `Start-Process -Verb PrintTo` because the latter depends on whichever PDF viewer the machine has
//! registered and cannot be told the paper or be waited on.
//!
//! The program always gets an argument list, never a shell string, so a printer or file name
//! cannot inject a command. It is given [`SPOOL_TIMEOUT`] to take the job (a spooler only queues
//! it): a hung print service is killed and reported, never left to hold the counter. Printer names are checked first: not empty, at most 127 characters
//! (the CUPS and Windows limit), no control characters.

use std::path::Path;
use std::process::Command;

use super::{PaperMode, PrintError};

/// Most copies one job may ask for: more is a typing mistake, not a counter's need.
pub const MAX_COPIES: u32 = 99;

/// How long the spooler program may take to queue a job.
pub const SPOOL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Run `cmd` to its end, or kill it after `limit`: its exit status and standard error, or `None`
/// when it took longer.
fn run_for(
    mut cmd: Command,
    limit: std::time::Duration,
) -> std::io::Result<Option<(std::process::ExitStatus, String)>> {
    use std::io::Read;
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            let mut stderr = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut stderr);
            }
            return Ok(Some((status, stderr)));
        }
        if started.elapsed() >= limit {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Sends `pdf` to `printer`, `copies` times, on the paper it was laid out for.
///
/// `copies` repeats the whole document: an A4/A5 receipt PDF already holds one sheet per copy
/// (联), so a counter passes 1.
pub fn spool(pdf: &Path, printer: &str, copies: u32, paper: PaperMode) -> Result<(), PrintError> {
    #[cfg(windows)]
    {
        spool_windows(pdf, printer, copies, paper)
    }
    #[cfg(not(windows))]
    {
        spool_with("lp", pdf, printer, copies, paper)
    }
}

/// [`spool`] through the `lp` program named `lp` (a path or a name looked up on `PATH`).
pub fn spool_with(lp: &str, pdf: &Path, printer: &str, copies: u32, paper: PaperMode) -> Result<(), PrintError> {
    validate(printer, copies)?;
    if !pdf.is_file() {
        return Err(PrintError::Io {
            path: pdf.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "the PDF to print does not exist"),
        });
    }
    let mut cmd = Command::new(lp);
    cmd.arg("-d")
        .arg(printer)
        .arg("-n")
        .arg(copies.to_string())
        .arg("-o")
        .arg(format!("media={}", cups_media(paper)))
        .arg("--")
        .arg(pdf);
    let done = run_for(cmd, SPOOL_TIMEOUT).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => PrintError::SpoolerMissing {
            program: lp.to_string(),
            hint: "install the CUPS client (Debian/Ubuntu: apt install cups-client) and check that CUPS runs",
        },
        _ => PrintError::Io { path: lp.to_string(), source: e },
    })?;
    let Some((status, stderr)) = done else {
        return Err(PrintError::SpoolTimeout { printer: printer.to_string(), seconds: SPOOL_TIMEOUT.as_secs() });
    };
    if status.success() {
        return Ok(());
    }
    Err(PrintError::SpoolFailed {
        printer: printer.to_string(),
        program: lp.to_string(),
        status: status.to_string(),
        stderr: stderr.trim().to_string(),
    })
}

/// The CUPS `media` name of a paper. A5 receipts are landscape; CUPS turns a landscape page to
/// fit portrait media by itself.
fn cups_media(paper: PaperMode) -> &'static str {
    match paper {
        PaperMode::A4 => "A4",
        PaperMode::A5 => "A5",
        PaperMode::Continuous241 => "Custom.241x139.7mm",
    }
}

/// Whether `printer` can name a print queue (before a run starts printing to it).
pub fn check_printer(printer: &str) -> Result<(), PrintError> {
    validate(printer, 1)
}

fn validate(printer: &str, copies: u32) -> Result<(), PrintError> {
    let refuse = |reason| Err(PrintError::PrinterName { name: printer.to_string(), reason });
    if printer.trim().is_empty() {
        return refuse("it is empty");
    }
    if printer.chars().count() > 127 {
        return refuse("it is longer than 127 characters");
    }
    if printer.chars().any(char::is_control) {
        return refuse("it contains control characters");
    }
    if copies == 0 || copies > MAX_COPIES {
        return Err(PrintError::Copies { copies, max: MAX_COPIES });
    }
    Ok(())
}

/// Windows: SumatraPDF prints silently to a named printer and exits when the job is spooled.
#[cfg(windows)]
fn spool_windows(pdf: &Path, printer: &str, copies: u32, paper: PaperMode) -> Result<(), PrintError> {
    validate(printer, copies)?;
    let sumatra = std::env::var_os("CASHDESK_SUMATRA")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            let beside = std::env::current_exe().ok()?.parent()?.join("SumatraPDF.exe");
            beside.is_file().then_some(beside)
        })
        .unwrap_or_else(|| std::path::PathBuf::from("SumatraPDF.exe"));
    let paper_name = match paper {
        PaperMode::A4 => "A4",
        PaperMode::A5 => "A5",
        // The form is set up as a custom paper in the printer driver; Sumatra uses the default.
        PaperMode::Continuous241 => "",
    };
    let settings = if paper_name.is_empty() {
        format!("{copies}x,noscale")
    } else {
        format!("{copies}x,paper={paper_name},noscale")
    };
    let mut cmd = Command::new(&sumatra);
    cmd.arg("-print-to").arg(printer).arg("-print-settings").arg(settings).arg("-silent").arg(pdf);
    let done = run_for(cmd, SPOOL_TIMEOUT).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => PrintError::SpoolerMissing {
            program: sumatra.display().to_string(),
            hint: "install SumatraPDF next to Cashdesk or set CASHDESK_SUMATRA to SumatraPDF.exe",
        },
        _ => PrintError::Io { path: sumatra.display().to_string(), source: e },
    })?;
    let Some((status, stderr)) = done else {
        return Err(PrintError::SpoolTimeout { printer: printer.to_string(), seconds: SPOOL_TIMEOUT.as_secs() });
    };
    if status.success() {
        return Ok(());
    }
    Err(PrintError::SpoolFailed {
        printer: printer.to_string(),
        program: sumatra.display().to_string(),
        status: status.to_string(),
        stderr: stderr.trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn some_pdf() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.pdf");
        std::fs::write(&path, b"%PDF-1.7\n").unwrap();
        (dir, path)
    }

    #[rstest]
    #[case::empty("", "PRINT_PRINTER_NAME")]
    #[case::blank("   ", "PRINT_PRINTER_NAME")]
    #[case::newline("counter\nrm -rf", "PRINT_PRINTER_NAME")]
    #[case::nul("a\0b", "PRINT_PRINTER_NAME")]
    #[case::too_long(&"p".repeat(128), "PRINT_PRINTER_NAME")]
    fn bad_printer_names_are_refused_before_anything_runs(#[case] name: &str, #[case] code: &str) {
        let (_dir, pdf) = some_pdf();
        // The program does not exist: reaching it would give PRINT_SPOOLER_MISSING instead.
        let err = spool_with("/nonexistent/lp", &pdf, name, 1, PaperMode::A5).unwrap_err();
        assert_eq!(err.code(), code, "{err}");
    }

    #[rstest]
    #[case::zero(0)]
    #[case::too_many(100)]
    fn copies_out_of_range_are_refused(#[case] copies: u32) {
        let (_dir, pdf) = some_pdf();
        let err = spool_with("/nonexistent/lp", &pdf, "counter", copies, PaperMode::A4).unwrap_err();
        assert_eq!(err.code(), "PRINT_COPIES", "{err}");
    }

    #[test]
    fn names_windows_allows_are_accepted() {
        assert!(validate("EPSON LQ-630K ESC/P2 (副本 1)", 1).is_ok());
        assert!(validate(&"p".repeat(127), 99).is_ok());
    }

    #[test]
    fn a_missing_lp_says_to_install_cups_client() {
        let (_dir, pdf) = some_pdf();
        let err = spool_with("/nonexistent/bin/lp", &pdf, "counter", 1, PaperMode::A5).unwrap_err();
        assert_eq!(err.code(), "PRINT_SPOOLER_MISSING");
        assert!(err.to_string().contains("cups-client"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_hung_spooler_is_killed_and_reported() {
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        let started = std::time::Instant::now();
        assert!(run_for(cmd, std::time::Duration::from_millis(200)).unwrap().is_none(), "it took too long");
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "and was killed, not waited for");
        let mut quick = Command::new("sh");
        quick.args(["-c", "echo refused >&2; exit 3"]);
        let (status, stderr) = run_for(quick, std::time::Duration::from_secs(10)).unwrap().unwrap();
        assert_eq!((status.code(), stderr.trim()), (Some(3), "refused"));
    }

    #[test]
    fn a_missing_pdf_is_reported_with_its_path() {
        let err = spool_with("lp", Path::new("/nonexistent/r.pdf"), "counter", 1, PaperMode::A5).unwrap_err();
        assert_eq!(err.code(), "PRINT_IO");
        assert!(err.to_string().contains("/nonexistent/r.pdf"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_failing_lp_carries_its_stderr() {
        // A stand-in `lp` that fails like CUPS does for an unknown printer, and records its argv.
        let dir = tempfile::tempdir().unwrap();
        let lp = dir.path().join("lp");
        let argv = dir.path().join("argv");
        std::fs::write(
            &lp,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\necho 'lp: The printer or class does not exist.' >&2\nexit 1\n",
                argv.display()
            ),
        )
        .unwrap();
        make_executable(&lp);
        let (_pdf_dir, pdf) = some_pdf();
        let err = spool_with(lp.to_str().unwrap(), &pdf, "no such; printer", 2, PaperMode::Continuous241).unwrap_err();
        assert_eq!(err.code(), "PRINT_SPOOL_FAILED");
        assert!(err.to_string().contains("does not exist"), "lp's stderr is shown: {err}");
        let args: Vec<String> = std::fs::read_to_string(&argv).unwrap().lines().map(String::from).collect();
        assert_eq!(
            args,
            ["-d", "no such; printer", "-n", "2", "-o", "media=Custom.241x139.7mm", "--", pdf.to_str().unwrap()],
            "each value is one argument: no shell splits or interprets the printer name"
        );
    }

    #[cfg(unix)]
    fn make_executable(path: &Path) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}
