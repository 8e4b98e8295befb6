//! 打印机列表: the print queues this computer has, for a supervisor to choose the counter's printer
//! from, and to refuse a name that is not one of them.
//!
//! Linux and macOS: CUPS's `lpstat -e` (one destination a line) and `lpstat -d` (`system default
//! destination: NAME`), run with `LC_ALL=C` so the default's line is not translated. Windows:
//! PowerShell's `Get-Printer` names (written to the same contract, not tested on Windows here).
//! `CASHDESK_LPSTAT` names a program used instead of `lpstat` (a test's stand-in); it is asked the
//! same two questions.
//!
//! Rules: a queue list that cannot be had (no print system, a scheduler that does not run) is an
//! error that says so, never an empty list taken as "no printers"; names are listed as the system
//! gives them, without duplicates, in its order; the default is kept only when it is one of them.

use std::process::Command;

use serde::{Deserialize, Serialize};

use super::PrintError;

/// The environment variable naming a program used instead of `lpstat`.
pub const LPSTAT_ENV: &str = "CASHDESK_LPSTAT";

/// How long the queue listing may take.
const LIST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The print queues of this computer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Queues {
    pub names: Vec<String>,
    /// The system's default queue, when it has one among `names`.
    pub default: Option<String>,
}

impl Queues {
    /// The queue a new counter takes: the system's default, else the first.
    pub fn first_choice(&self) -> Option<&str> {
        self.default.as_deref().or(self.names.first().map(String::as_str))
    }

    pub fn contains(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }
}

/// Read `lpstat -e` and `lpstat -d` output.
pub fn parse_lpstat(destinations: &str, default: &str) -> Queues {
    let mut names: Vec<String> = Vec::new();
    for line in destinations.lines() {
        let name = line.trim();
        if !name.is_empty() && !name.chars().any(char::is_control) && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    let default = default
        .lines()
        .find_map(|l| l.trim().strip_prefix("system default destination:"))
        .map(|d| d.trim().to_string())
        .filter(|d| names.contains(d));
    Queues { names, default }
}

/// The print queues, from `lister` (a program standing in for `lpstat`) or the system's.
pub fn list(lister: Option<&str>) -> Result<Queues, PrintError> {
    match lister {
        Some(program) => list_lpstat(program),
        #[cfg(windows)]
        None => list_windows(),
        #[cfg(not(windows))]
        None => list_lpstat("lpstat"),
    }
}

fn list_lpstat(program: &str) -> Result<Queues, PrintError> {
    let destinations = run(program, "-e")?;
    // A system without a default answers `no system default destination` (exit 0) or fails:
    // either way there is no default, and the list stands.
    let default = run(program, "-d").unwrap_or_default();
    Ok(parse_lpstat(&destinations, &default))
}

#[cfg(windows)]
fn list_windows() -> Result<Queues, PrintError> {
    let names = run_command(
        "powershell",
        Command::new("powershell").args([
            "-NoProfile",
            "-NonInteractive",
            "-Command",
            "Get-Printer | Select-Object -ExpandProperty Name",
        ]),
    )?;
    let default = run_command(
        "powershell",
        Command::new("powershell").args([
            "-NoProfile",
            "-NonInteractive",
            "-Command",
            "(Get-CimInstance Win32_Printer -Filter 'Default=TRUE').Name",
        ]),
    )
    .unwrap_or_default();
    Ok(parse_lpstat(&names, &format!("system default destination: {}", default.trim())))
}

fn run(program: &str, arg: &str) -> Result<String, PrintError> {
    let mut cmd = Command::new(program);
    cmd.arg(arg).env("LC_ALL", "C");
    run_command(program, &mut cmd)
}

/// Run `cmd` to its end within [`LIST_TIMEOUT`]: its standard output, or why not.
fn run_command(program: &str, cmd: &mut Command) -> Result<String, PrintError> {
    use std::io::Read;
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => PrintError::SpoolerMissing {
                program: program.to_string(),
                hint: "install the CUPS client (Debian/Ubuntu: apt install cups-client) and check that CUPS runs",
            },
            _ => PrintError::QueuesUnavailable { program: program.to_string(), detail: e.to_string() },
        })?;
    // The outputs are a few lines: read them to the end (which is the program's end), bounded by
    // a watchdog that kills a program that hangs.
    let started = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() >= LIST_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(PrintError::QueuesUnavailable {
                    program: program.to_string(),
                    detail: format!("no answer within {} s", LIST_TIMEOUT.as_secs()),
                });
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(10)),
            Err(e) => {
                return Err(PrintError::QueuesUnavailable { program: program.to_string(), detail: e.to_string() });
            }
        }
    }
    let (mut out, mut err) = (String::new(), String::new());
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut out);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let status = child
        .wait()
        .map_err(|e| PrintError::QueuesUnavailable { program: program.to_string(), detail: e.to_string() })?;
    if !status.success() {
        let detail = err.trim();
        return Err(PrintError::QueuesUnavailable {
            program: program.to_string(),
            detail: if detail.is_empty() {
                format!("exited with {status}")
            } else {
                detail.chars().take(300).collect()
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case::two_and_a_default("counter-a4\nreceipts\n", "system default destination: receipts\n", &["counter-a4", "receipts"], Some("receipts"))]
    #[case::no_default("counter-a4\n", "no system default destination\n", &["counter-a4"], None)]
    #[case::none("", "no system default destination\n", &[], None)]
    #[case::blank_lines_and_repeats("  a \n\nb\na\n", "", &["a", "b"], None)]
    #[case::default_not_listed("a\n", "system default destination: gone\n", &["a"], None)]
    fn lpstat_output_is_read(#[case] e: &str, #[case] d: &str, #[case] names: &[&str], #[case] default: Option<&str>) {
        let q = parse_lpstat(e, d);
        assert_eq!(q.names, names);
        assert_eq!(q.default.as_deref(), default);
    }

    #[test]
    fn a_new_counter_takes_the_default_else_the_first() {
        assert_eq!(parse_lpstat("a\nb\n", "system default destination: b").first_choice(), Some("b"));
        assert_eq!(parse_lpstat("a\nb\n", "").first_choice(), Some("a"));
        assert_eq!(parse_lpstat("", "").first_choice(), None);
    }

    #[test]
    fn a_lister_that_is_missing_or_fails_is_an_error_not_an_empty_list() {
        let e = list(Some("/nonexistent/lpstat")).unwrap_err();
        assert_eq!(e.code(), "PRINT_SPOOLER_MISSING");
        let e = list(Some("false")).unwrap_err();
        assert_eq!(e.code(), "PRINT_QUEUES_UNAVAILABLE");
    }
}
