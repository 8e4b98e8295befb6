//! 催费: arrears notices, one at the counter or a batch (the rules are `notices`; the document is
//! `print::render_notices`).
//!
//! - Selection: the overdue bills of open accounts streamed in account order
//!   (`accounts::db::ARREARS`), each account's late fee worked out to the print date by the one
//!   late-fee rule. The preview's count and totals are summed in the database by the rule's SQL
//!   form (`accounts::late_fee_sql`, held equal to it by a property test), so a county's arrears
//!   answer in a fraction of a second; when the policy or a bill is outside what that form is exact
//!   for, they come from the stream instead.
//! - A run (a batch, or a single notice: a run of one) is a `notice_batches` row. A batch prints in
//!   the background: notices are made as the stream reaches them, `per_pdf` to a PDF, and each PDF
//!   is handed to the spooler (or written to a folder) before the next is made, so memory holds one
//!   PDF's worth whatever the batch's size.
//! - Invariant: **what was logged is what was printed.** A PDF's notices go into `notice_log` (with
//!   the run's count and an audit entry, one transaction) only after the spooler took the PDF or
//!   the file was written; a cancel is seen between PDFs, so the PDF in hand is finished and
//!   logged and nothing after it is made. A failure stops the run with its error kept on the run.
//! - A run that was printing when the app stopped shows as interrupted: its log holds what was
//!   printed up to then.

use std::{
    collections::HashMap,
    ops::ControlFlow,
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use base64::Engine as _;
use futures_util::{Stream, TryStreamExt};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Desk, Session, session::CounterSettings};
use crate::{
    Error, Result,
    accounts::{AccountNo, Bill, db as accounts_db, late_fee_sql},
    money::Yuan,
    notices::{Filter, NoticeFilter, Owed, notice_lines, notice_no, owed_of, pay_by, selects},
    print::{self, ArrearsNotice, NoticeLine, PaperMode},
    store,
    users::Action,
};

/// The notice runs printing in this process, each with its cancel flag.
#[derive(Debug, Clone, Default)]
pub(crate) struct Runs(Arc<Mutex<HashMap<i64, Arc<AtomicBool>>>>);

impl Runs {
    fn start(&self, run: i64) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        if let Ok(mut runs) = self.0.lock() {
            runs.insert(run, flag.clone());
        }
        flag
    }

    fn end(&self, run: i64) {
        if let Ok(mut runs) = self.0.lock() {
            runs.remove(&run);
        }
    }

    fn get(&self, run: i64) -> Option<Arc<AtomicBool>> {
        self.0.lock().ok().and_then(|runs| runs.get(&run).cloned())
    }
}

/// An account a batch would notify, as the preview lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct NoticeCandidate {
    pub account_no: String,
    pub name: String,
    pub address: String,
    pub periods: u32,
    pub principal: Yuan,
    pub late_fee: Yuan,
    pub total: Yuan,
    pub days_overdue: u32,
}

/// How many accounts a batch reaches and what they owe; the first ones listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct NoticePreview {
    pub count: u32,
    pub principal: Yuan,
    pub late_fee: Yuan,
    pub total: Yuan,
    pub first: Vec<NoticeCandidate>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct NoticePreviewRequest {
    pub token: String,
    pub filter: NoticeFilter,
}

/// One account's notice (preview or print).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct NoticeAccountRequest {
    pub token: String,
    pub account_no: String,
}

/// A batch to the counter's printer.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct NoticeBatchRequest {
    pub token: String,
    pub filter: NoticeFilter,
    /// Notices per PDF (print job), 1-500; 50 when absent.
    #[ts(optional)]
    pub per_pdf: Option<u32>,
    /// At most this many notices this run (a day's delivery); the rest wait for the next run,
    /// which skips those notified with "not notified in the last N days".
    #[ts(optional)]
    pub max: Option<u32>,
}

/// How a batch is printed (all optional).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOptions {
    /// Notices per PDF, 1-500 ([`DEFAULT_PER_PDF`] when absent).
    pub per_pdf: Option<u32>,
    /// At most this many notices.
    pub max: Option<u32>,
    /// The paper, instead of the counter's.
    pub paper: Option<PaperMode>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct NoticeRunRequest {
    pub token: String,
    #[ts(type = "number")]
    pub run: i64,
}

/// The notice log, for one account or one run (or the latest of all), newest first.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct NoticeLogRequest {
    pub token: String,
    #[ts(optional)]
    pub account_no: Option<String>,
    #[ts(optional, type = "number")]
    pub run: Option<i64>,
    /// At most this many entries, 1-1000.
    pub limit: u32,
}

redact_token_debug!(NoticePreviewRequest, NoticeAccountRequest, NoticeBatchRequest, NoticeRunRequest, NoticeLogRequest);

/// A single notice's PDF, as the preview shows it (numbered `预览`; nothing is logged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct NoticePdf {
    pub account_no: String,
    pub total: Yuan,
    pub pdf_base64: String,
}

/// A single notice printed and logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PrintedNotice {
    pub notice_no: String,
    pub printer: String,
    pub total: Yuan,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum NoticeRunState {
    Running,
    Done,
    Cancelled,
    Failed,
    /// The app stopped while it printed.
    Interrupted,
}

/// Where a run stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct NoticeRunStatus {
    #[ts(type = "number")]
    pub run: i64,
    pub state: NoticeRunState,
    /// Accounts selected when it started.
    pub selected: u32,
    /// Notices printed (and logged) so far.
    pub printed: u32,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// Why a failed run stopped: the error's code, message and parameters (as any refusal has).
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub error_params: std::collections::BTreeMap<String, String>,
}

/// A notice in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct NoticeLogEntry {
    pub notice_no: String,
    #[ts(type = "number")]
    pub run: i64,
    /// `single` or `batch`.
    pub kind: String,
    pub account_no: String,
    pub name: String,
    pub printed_at: String,
    pub printed_by: String,
    pub periods: u32,
    pub principal: Yuan,
    pub late_fee: Yuan,
    pub total: Yuan,
    pub pay_by: String,
}

/// Where a batch goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeTarget {
    /// This print queue, or the counter's printer (print settings).
    Printer(Option<String>),
    /// PDF files in this folder (`cashdeskctl notices print --out DIR`).
    Folder(PathBuf),
}

/// Where a run's PDFs went.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sink {
    Printer(String),
    Folder(PathBuf),
}

impl Sink {
    fn describe(&self) -> String {
        match self {
            Sink::Printer(p) => p.clone(),
            Sink::Folder(dir) => format!("file:{}", dir.display()),
        }
    }
}

/// How many candidates a preview lists.
const PREVIEW_FIRST: usize = 20;
/// Notices per PDF when not told.
pub const DEFAULT_PER_PDF: u32 = 50;

/// Overdue bills grouped into accounts, from the row stream of [`accounts_db::ARREARS`].
struct Accounts<S> {
    rows: S,
    current: Option<(accounts_db::ArrearsAccount, Vec<Bill>)>,
}

impl<S: Stream<Item = std::result::Result<sqlx::sqlite::SqliteRow, sqlx::Error>> + Unpin> Accounts<S> {
    async fn next(&mut self) -> Result<Option<(accounts_db::ArrearsAccount, Vec<Bill>)>> {
        while let Some(row) = self.rows.try_next().await? {
            let (account, bill) = accounts_db::arrears_row_from(&row)?;
            match &mut self.current {
                Some((a, bills)) if a.id == account.id => bills.push(bill),
                _ => {
                    if let Some(done) = self.current.replace((account, vec![bill])) {
                        return Ok(Some(done));
                    }
                }
            }
        }
        Ok(self.current.take())
    }
}

/// A notice made, waiting for its PDF to be printed.
struct Made {
    account_id: i64,
    doc: ArrearsNotice,
    periods: u32,
}

impl Desk {
    /// The database side of filter `f` on today's date.
    fn arrears_binds(&self, f: &Filter) -> accounts_db::ArrearsBinds {
        accounts_db::ArrearsBinds {
            today: self.today(),
            address_prefix: f.address_prefix.clone(),
            category: f.category,
            billing_mode: f.billing_mode,
            notified_since: f
                .skip_notified_days
                .map(|d| (self.now() - chrono::Duration::days(i64::from(d))).to_rfc3339()),
        }
    }

    /// Walk the accounts `f` selects on the print date: `visit` gets each with its notice lines and
    /// what it owes, and may stop the walk.
    async fn each_in_arrears(
        &self,
        f: &Filter,
        mut visit: impl FnMut(&accounts_db::ArrearsAccount, &[NoticeLine], &Owed) -> ControlFlow<()>,
    ) -> Result<()> {
        let (today, policy) = (self.today(), self.policy());
        let mut conn = self.pool.acquire().await?;
        let args = self.arrears_binds(f).arguments(&[])?;
        let mut accounts =
            Accounts { rows: sqlx::query_with(accounts_db::ARREARS, args).fetch(&mut *conn), current: None };
        while let Some((account, bills)) = accounts.next().await? {
            let lines = notice_lines(&bills, account.category, today, &policy.late_fee);
            let owed = owed_of(&lines);
            if selects(f, &owed) && visit(&account, &lines, &owed).is_break() {
                break;
            }
        }
        Ok(())
    }

    /// 催费预览: how many accounts a batch with these filters reaches, what they owe, and the
    /// first of them.
    pub async fn notice_preview(&self, req: NoticePreviewRequest) -> Result<NoticePreview> {
        self.authorise(&req.token, Action::NoticeBatch).await?;
        let f = req.filter.check()?;
        match self.arrears_totals_in_db(&f).await? {
            Some((mut p, ids)) => {
                // The first accounts the database selected, each worked out by the Rust rule.
                let (today, policy) = (self.today(), self.policy());
                let mut conn = self.pool.acquire().await?;
                for id in ids.into_iter().take(PREVIEW_FIRST) {
                    let Some(account) = accounts_db::arrears_account(&mut conn, id).await? else { continue };
                    let bills = accounts_db::open_bills(&mut conn, id).await?;
                    let lines = notice_lines(&bills, account.category, today, &policy.late_fee);
                    p.first.push(candidate(&account, &lines, &owed_of(&lines)));
                }
                Ok(p)
            }
            None => {
                let mut p = empty_preview();
                self.each_in_arrears(&f, |account, lines, owed| {
                    p.count += 1;
                    p.principal += owed.principal;
                    p.late_fee += owed.late_fee;
                    p.total += owed.total();
                    if p.first.len() < PREVIEW_FIRST {
                        p.first.push(candidate(account, lines, owed));
                    }
                    ControlFlow::Continue(())
                })
                .await?;
                Ok(p)
            }
        }
    }

    /// How many accounts `f` selects (a batch's count when it starts).
    async fn arrears_count(&self, f: &Filter) -> Result<u32> {
        if let Some((p, _)) = self.arrears_totals_in_db(f).await? {
            return Ok(p.count);
        }
        let mut count = 0_u32;
        self.each_in_arrears(f, |_, _, _| {
            count += 1;
            ControlFlow::Continue(())
        })
        .await?;
        Ok(count)
    }

    /// The totals summed in the database and the selected accounts' ids in account order, or
    /// `None` when the rule's SQL form is not exact for this policy or for some bill.
    async fn arrears_totals_in_db(&self, f: &Filter) -> Result<Option<(NoticePreview, Vec<i64>)>> {
        let Some(fee) = late_fee_sql::FeeSql::for_policy(&self.policy().late_fee, self.today()) else {
            return Ok(None);
        };
        let mut conn = self.pool.acquire().await?;
        let Some(range) = accounts_db::arrears_id_range(&mut conn).await? else {
            return Ok(Some((empty_preview(), Vec::new())));
        };
        drop(conn);
        // A county in parts, one per core, each on its own connection (its own thread in sqlx).
        let parts = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
        let binds = self.arrears_binds(f);
        let filters = (f.min_owed.map(Yuan::fen), f.min_days_overdue);
        let mut tasks = tokio::task::JoinSet::new();
        for (i, ids) in accounts_db::split_ids(range, i64::try_from(parts).unwrap_or(1)).into_iter().enumerate() {
            let (pool, fee, binds) = (self.pool.clone(), fee.clone(), binds.clone());
            tasks.spawn(async move {
                let mut conn = pool.acquire().await?;
                let t = accounts_db::arrears_totals(&mut conn, &fee, &binds, filters, ids).await?;
                Ok::<_, Error>((i, t))
            });
        }
        let mut results = Vec::with_capacity(parts);
        while let Some(done) = tasks.join_next().await {
            results.push(done.map_err(|e| Error::Internal(format!("an arrears sum did not finish: {e}")))??);
        }
        results.sort_by_key(|(i, _)| *i);
        let mut t = accounts_db::ArrearsTotals::default();
        for (_, part) in &results {
            t.accounts += part.accounts;
            t.principal_fen += part.principal_fen;
            t.late_fee_fen += part.late_fee_fen;
            t.unsafe_bills += part.unsafe_bills;
        }
        if t.unsafe_bills > 0 {
            return Ok(None);
        }
        // The first accounts, from the first selected one on: the sums stop once enough are found.
        let mut ids = match results.iter().find_map(|(_, part)| part.first_id) {
            Some(from) => {
                let mut conn = self.pool.acquire().await?;
                let want = i64::try_from(PREVIEW_FIRST).unwrap_or(20);
                accounts_db::arrears_first(&mut conn, &fee, &binds, filters, (from, range.1), want).await?
            }
            None => Vec::new(),
        };
        ids.truncate(PREVIEW_FIRST);
        ids.sort_unstable();
        let (principal, late_fee) = (Yuan::from_fen(t.principal_fen), Yuan::from_fen(t.late_fee_fen));
        let p = NoticePreview {
            count: u32::try_from(t.accounts).unwrap_or(u32::MAX),
            principal,
            late_fee,
            total: principal + late_fee,
            first: Vec::new(),
        };
        Ok(Some((p, ids)))
    }

    /// The document for one account, numbered `notice_no`.
    fn notice_doc(
        &self,
        account: &accounts_db::ArrearsAccount,
        lines: Vec<NoticeLine>,
        owed: &Owed,
        notice_no: String,
        settings: &CounterSettings,
    ) -> ArrearsNotice {
        let today = self.today();
        ArrearsNotice {
            utility: self.utility().to_string(),
            notice_no,
            account_no: account.account_no.to_string(),
            name: account.name.clone(),
            address: account.address.clone(),
            category: account.category.label_zh().to_string(),
            meter_no: account.meter_no.clone(),
            lines,
            principal: owed.principal,
            late_fee: owed.late_fee,
            total: owed.total(),
            print_date: today.to_string(),
            pay_by: pay_by(today, self.policy().notices.pay_within_days, &self.calendar()).to_string(),
            pay_where: settings.pay_where.clone(),
            hotline: settings.hotline.clone(),
        }
    }

    /// One account in arrears, as a batch would see it; `NO_ARREARS` when nothing is overdue.
    async fn single_in_arrears(
        &self,
        account_no: &str,
    ) -> Result<(accounts_db::ArrearsAccount, Vec<NoticeLine>, Owed)> {
        let no = AccountNo::typed(account_no)?;
        let mut conn = self.pool.acquire().await?;
        let account = accounts_db::by_no(&mut conn, &no)
            .await?
            .ok_or_else(|| Error::AccountNotFound { account_no: no.to_string() })?;
        let bills = accounts_db::open_bills(&mut conn, account.id).await?;
        drop(conn);
        let lines = notice_lines(&bills, account.category, self.today(), &self.policy().late_fee);
        let owed = owed_of(&lines);
        if lines.is_empty() || account.closed {
            return Err(Error::NoArrears { account_no: no.to_string() });
        }
        let a = accounts_db::ArrearsAccount {
            id: account.id,
            account_no: account.account_no,
            name: account.name,
            address: account.address,
            category: account.category,
            meter_no: account.meter_no,
        };
        Ok((a, lines, owed))
    }

    /// 催缴通知单 preview for the account open at the counter: what printing would print, numbered
    /// `预览`; nothing is logged.
    pub async fn notice_pdf(&self, req: NoticeAccountRequest) -> Result<NoticePdf> {
        self.authorise(&req.token, Action::NoticePrint).await?;
        let (account, lines, owed) = self.single_in_arrears(&req.account_no).await?;
        let settings = self.load_counter_settings().await?;
        let doc = self.notice_doc(&account, lines, &owed, "预览".into(), &settings);
        let paper = self.load_print_settings().await?.paper;
        let pdf = self.render_notices(vec![doc], paper).await?;
        Ok(NoticePdf {
            account_no: account.account_no.to_string(),
            total: owed.total(),
            pdf_base64: base64::engine::general_purpose::STANDARD.encode(pdf),
        })
    }

    /// Print the notice for the account open at the counter on the counter's printer, and log it.
    pub async fn print_notice(&self, req: NoticeAccountRequest) -> Result<PrintedNotice> {
        let s = self.authorise(&req.token, Action::NoticePrint).await?;
        let settings = self.load_print_settings().await?;
        let printer = settings.printer.ok_or(Error::PrinterNotSet)?;
        let notice_no = self.single_notice(&s, &req.account_no, Sink::Printer(printer.clone()), settings.paper).await?;
        Ok(PrintedNotice { notice_no: notice_no.0, printer, total: notice_no.1 })
    }

    /// Write one account's notice to `out` and log it (`cashdeskctl notices one`).
    pub async fn notice_to_file(&self, token: &str, account_no: &str, out: &std::path::Path) -> Result<String> {
        let s = self.authorise(token, Action::NoticePrint).await?;
        let paper = self.load_print_settings().await?.paper;
        let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        let (notice_no, _) = self.single_notice(&s, account_no, Sink::Folder(dir.to_path_buf()), paper).await?;
        let written = dir.join(format!("{notice_no}.pdf"));
        tokio::fs::rename(&written, out).await?;
        Ok(notice_no)
    }

    /// A run of one: the notice made, printed, logged.
    async fn single_notice(
        &self,
        s: &Session,
        account_no: &str,
        sink: Sink,
        paper: PaperMode,
    ) -> Result<(String, Yuan)> {
        let (account, lines, owed) = self.single_in_arrears(account_no).await?;
        let settings = self.load_counter_settings().await?;
        let run = self.start_run(s, "single", &json!({ "account_no": account.account_no }), &sink, paper, 1).await?;
        let no = notice_no(self.terminal.as_str(), run, 1);
        let periods = u32::try_from(lines.len()).unwrap_or(u32::MAX);
        let doc = self.notice_doc(&account, lines, &owed, no.clone(), &settings);
        let made = vec![Made { account_id: account.id, doc, periods }];
        let result = self.print_made(s, run, &made, &sink, paper).await;
        let outcome = match &result {
            Ok(()) => RunEnd::Done,
            Err(e) => RunEnd::Failed(e.body()),
        };
        self.finish_run(s, run, outcome).await?;
        result.map(|()| (no, owed.total()))
    }

    /// Start a batch to the counter's printer; it prints in the background (see
    /// [`Desk::notice_run_status`]).
    pub async fn notice_batch_start(&self, req: NoticeBatchRequest) -> Result<NoticeRunStatus> {
        let options = BatchOptions { per_pdf: req.per_pdf, max: req.max, paper: None };
        self.notice_batch_start_to(&req.token, req.filter, NoticeTarget::Printer(None), options).await
    }

    /// Start a batch to the printer or a folder, on the counter's paper unless told.
    pub async fn notice_batch_start_to(
        &self,
        token: &str,
        filter: NoticeFilter,
        target: NoticeTarget,
        options: BatchOptions,
    ) -> Result<NoticeRunStatus> {
        let s = self.authorise(token, Action::NoticeBatch).await?;
        let f = filter.check()?;
        let per_pdf = options.per_pdf.unwrap_or(DEFAULT_PER_PDF);
        if !(1..=500).contains(&per_pdf) {
            return Err(Error::invalid("per_pdf", "put 1 to 500 notices in each PDF"));
        }
        let max = options.max.unwrap_or(u32::MAX);
        if max == 0 {
            return Err(Error::invalid("max", "print at least one notice, or leave the maximum empty"));
        }
        let settings = self.load_print_settings().await?;
        let sink = match target {
            NoticeTarget::Printer(Some(queue)) => {
                print::check_printer(&queue)?;
                Sink::Printer(queue)
            }
            NoticeTarget::Printer(None) => Sink::Printer(settings.printer.ok_or(Error::PrinterNotSet)?),
            NoticeTarget::Folder(dir) => {
                crate::files::private_dir(&dir)?;
                Sink::Folder(dir)
            }
        };
        let paper = options.paper.unwrap_or(settings.paper);
        let selected = self.arrears_count(&f).await?.min(max);
        let run = self
            .start_run(&s, "batch", &serde_json::to_value(&filter).unwrap_or_default(), &sink, paper, selected)
            .await?;
        let cancel = self.notice_runs.start(run);
        let desk = self.clone();
        tokio::spawn(async move {
            let outcome = match desk.run_batch(&s, run, &f, &sink, paper, (per_pdf, max), &cancel).await {
                Ok(true) => RunEnd::Cancelled,
                Ok(false) => RunEnd::Done,
                Err(e) => RunEnd::Failed(e.body()),
            };
            if let Err(e) = desk.finish_run(&s, run, outcome).await {
                tracing::error!(run, error = %e, "a notice run's end could not be recorded");
            }
            desk.notice_runs.end(run);
        });
        self.run_status(run).await
    }

    /// The batch itself: `Ok(true)` when it was cancelled.
    #[allow(clippy::too_many_arguments)]
    async fn run_batch(
        &self,
        s: &Session,
        run: i64,
        f: &Filter,
        sink: &Sink,
        paper: PaperMode,
        (per_pdf, max): (u32, u32),
        cancel: &AtomicBool,
    ) -> Result<bool> {
        let (today, policy) = (self.today(), self.policy());
        let settings = self.load_counter_settings().await?;
        let mut conn = self.pool.acquire().await?;
        let args = self.arrears_binds(f).arguments(&[])?;
        let mut accounts =
            Accounts { rows: sqlx::query_with(accounts_db::ARREARS, args).fetch(&mut *conn), current: None };
        let per_pdf = usize::try_from(per_pdf).unwrap_or(1);
        let mut made = Vec::with_capacity(per_pdf);
        let mut seq = 0_u32;
        while seq < max
            && let Some((account, bills)) = accounts.next().await?
        {
            if cancel.load(Ordering::SeqCst) {
                return Ok(true);
            }
            let lines = notice_lines(&bills, account.category, today, &policy.late_fee);
            let owed = owed_of(&lines);
            if !selects(f, &owed) {
                continue;
            }
            seq += 1;
            let periods = u32::try_from(lines.len()).unwrap_or(u32::MAX);
            let doc = self.notice_doc(&account, lines, &owed, notice_no(self.terminal.as_str(), run, seq), &settings);
            made.push(Made { account_id: account.id, doc, periods });
            if made.len() == per_pdf {
                self.print_made(s, run, &made, sink, paper).await?;
                made.clear();
            }
        }
        if cancel.load(Ordering::SeqCst) {
            return Ok(true);
        }
        if !made.is_empty() {
            self.print_made(s, run, &made, sink, paper).await?;
        }
        Ok(false)
    }

    async fn render_notices(&self, docs: Vec<ArrearsNotice>, paper: PaperMode) -> Result<Vec<u8>> {
        let font = self.font().await?;
        tokio::task::spawn_blocking(move || print::render_notices(&docs, paper, &font))
            .await
            .map_err(|e| Error::Internal(format!("rendering did not finish: {e}")))?
            .map_err(Error::from)
    }

    /// One PDF of `made`: rendered, handed to the printer (or written), then logged with the run's
    /// count and an audit entry in one transaction.
    async fn print_made(&self, s: &Session, run: i64, made: &[Made], sink: &Sink, paper: PaperMode) -> Result<()> {
        let (Some(first), Some(last)) = (made.first(), made.last()) else {
            return Ok(());
        };
        let pdf = self.render_notices(made.iter().map(|m| m.doc.clone()).collect(), paper).await?;
        let name = if made.len() == 1 {
            first.doc.notice_no.clone()
        } else {
            format!("{}..{}", first.doc.notice_no, last.doc.notice_no.rsplit('-').next().unwrap_or_default())
        };
        match sink {
            Sink::Printer(printer) => self.spool_pdf(&pdf, &name, printer, paper).await?,
            Sink::Folder(dir) => crate::files::write_private_async(&dir.join(format!("{name}.pdf")), pdf).await?,
        }
        let now = self.now().to_rfc3339();
        let mut tx = store::write_tx(&self.writer).await?;
        for m in made {
            sqlx::query(
                "INSERT INTO notice_log (notice_no, batch_id, account_id, printed_at, printed_by, periods, principal_fen, \
                 late_fee_fen, pay_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&m.doc.notice_no)
            .bind(run)
            .bind(m.account_id)
            .bind(&now)
            .bind(s.user_id)
            .bind(i64::from(m.periods))
            .bind(m.doc.principal.fen())
            .bind(m.doc.late_fee.fen())
            .bind(&m.doc.pay_by)
            .execute(&mut *tx)
            .await?;
        }
        let n = i64::try_from(made.len()).unwrap_or(i64::MAX);
        sqlx::query("UPDATE notice_batches SET printed = printed + ? WHERE id = ?")
            .bind(n)
            .bind(run)
            .execute(&mut *tx)
            .await?;
        let accounts: Vec<&str> = made.iter().map(|m| m.doc.account_no.as_str()).collect();
        self.audit(
            &mut tx,
            &s.user.username,
            "notice.print",
            Some(&first.doc.notice_no),
            json!({"run": run, "notices": n, "last": last.doc.notice_no, "accounts": accounts, "to": sink.describe()}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A run's row, with its start audited.
    async fn start_run(
        &self,
        s: &Session,
        kind: &str,
        filter: &serde_json::Value,
        sink: &Sink,
        paper: PaperMode,
        selected: u32,
    ) -> Result<i64> {
        let mut tx = store::write_tx(&self.writer).await?;
        let (run,): (i64,) = sqlx::query_as(
            "INSERT INTO notice_batches (kind, filter, started_by, started_at, target, paper, selected) \
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(kind)
        .bind(filter.to_string())
        .bind(s.user_id)
        .bind(self.now().to_rfc3339())
        .bind(sink.describe())
        .bind(serde_json::to_value(paper).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default())
        .bind(i64::from(selected))
        .fetch_one(&mut *tx)
        .await?;
        if kind == "batch" {
            self.audit(
                &mut tx,
                &s.user.username,
                "notice.batch.start",
                Some(&run.to_string()),
                json!({"filter": filter, "selected": selected, "to": sink.describe(), "paper": paper}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(run)
    }

    async fn finish_run(&self, s: &Session, run: i64, end: RunEnd) -> Result<()> {
        let (outcome, error) = match &end {
            RunEnd::Done => ("done", None),
            RunEnd::Cancelled => ("cancelled", None),
            RunEnd::Failed(body) => ("failed", serde_json::to_string(body).ok()),
        };
        let mut tx = store::write_tx(&self.writer).await?;
        let (kind, printed): (String, i64) = sqlx::query_as(
            "UPDATE notice_batches SET finished_at = ?, outcome = ?, error = ? WHERE id = ? RETURNING kind, printed",
        )
        .bind(self.now().to_rfc3339())
        .bind(outcome)
        .bind(&error)
        .bind(run)
        .fetch_one(&mut *tx)
        .await?;
        if kind == "batch" || error.is_some() {
            self.audit(
                &mut tx,
                &s.user.username,
                "notice.batch.end",
                Some(&run.to_string()),
                json!({"outcome": outcome, "printed": printed, "error": error}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn run_status(&self, run: i64) -> Result<NoticeRunStatus> {
        // Whether it runs, asked before its row is read: a run records its end before it leaves
        // the registry, so a run not there now has its end in the row read after.
        let running = self.notice_runs.get(run).is_some();
        type Row = (i64, i64, String, Option<String>, Option<String>, Option<String>);
        let row: Option<Row> = sqlx::query_as(
            "SELECT selected, printed, started_at, finished_at, outcome, error FROM notice_batches WHERE id = ?",
        )
        .bind(run)
        .fetch_optional(&self.pool)
        .await?;
        let (selected, printed, started_at, finished_at, outcome, error) =
            row.ok_or(Error::NoticeRunNotFound { run })?;
        let state = match outcome.as_deref() {
            Some("done") => NoticeRunState::Done,
            Some("cancelled") => NoticeRunState::Cancelled,
            Some(_) => NoticeRunState::Failed,
            None if running => NoticeRunState::Running,
            None => NoticeRunState::Interrupted,
        };
        let error: Option<crate::error::ErrorBody> = error.and_then(|e| serde_json::from_str(&e).ok());
        Ok(NoticeRunStatus {
            run,
            state,
            selected: u32::try_from(selected).unwrap_or(u32::MAX),
            printed: u32::try_from(printed).unwrap_or(u32::MAX),
            started_at,
            finished_at,
            error_code: error.as_ref().map(|e| e.code.clone()),
            error_message: error.as_ref().map(|e| e.message.clone()),
            error_params: error.map(|e| e.params).unwrap_or_default(),
        })
    }

    /// How far a run is (supervisors: the batch screen's progress bar).
    pub async fn notice_run_status(&self, req: NoticeRunRequest) -> Result<NoticeRunStatus> {
        self.authorise(&req.token, Action::NoticeBatch).await?;
        self.run_status(req.run).await
    }

    /// Stop a batch after the PDF in hand: what it printed stays logged, the rest is not made.
    pub async fn notice_run_cancel(&self, req: NoticeRunRequest) -> Result<NoticeRunStatus> {
        let s = self.authorise(&req.token, Action::NoticeBatch).await?;
        let status = self.run_status(req.run).await?;
        if let Some(flag) = self.notice_runs.get(req.run) {
            flag.store(true, Ordering::SeqCst);
            self.audit_alone(
                &s.user.username,
                "notice.batch.cancel",
                Some(&req.run.to_string()),
                json!({"printed": status.printed}),
            )
            .await?;
        }
        Ok(status)
    }

    /// The notice log: an account's notices (a dispute), a run's, or the latest.
    pub async fn notice_log(&self, req: NoticeLogRequest) -> Result<Vec<NoticeLogEntry>> {
        self.authorise(&req.token, Action::NoticeLog).await?;
        if !(1..=1000).contains(&req.limit) {
            return Err(Error::invalid("limit", "list 1 to 1000 notices"));
        }
        let account = match req.account_no.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) => Some(AccountNo::typed(a)?.to_string()),
            None => None,
        };
        type Row = (String, i64, String, String, String, String, String, i64, i64, i64, String);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT l.notice_no, l.batch_id, b.kind, a.account_no, a.name, l.printed_at, u.username, l.periods,
                    l.principal_fen, l.late_fee_fen, l.pay_by
             FROM notice_log l JOIN notice_batches b ON b.id = l.batch_id JOIN accounts a ON a.id = l.account_id
                  JOIN users u ON u.id = l.printed_by
             WHERE (?1 IS NULL OR a.account_no = ?1) AND (?2 IS NULL OR l.batch_id = ?2)
             ORDER BY l.id DESC LIMIT ?3",
        )
        .bind(account)
        .bind(req.run)
        .bind(i64::from(req.limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(notice_no, run, kind, account_no, name, printed_at, printed_by, periods, p, f, pay_by)| {
                let (principal, late_fee) = (Yuan::from_fen(p), Yuan::from_fen(f));
                NoticeLogEntry {
                    notice_no,
                    run,
                    kind,
                    account_no,
                    name,
                    printed_at,
                    printed_by,
                    periods: u32::try_from(periods).unwrap_or(0),
                    principal,
                    late_fee,
                    total: principal + late_fee,
                    pay_by,
                }
            })
            .collect())
    }
}

fn empty_preview() -> NoticePreview {
    NoticePreview { count: 0, principal: Yuan::ZERO, late_fee: Yuan::ZERO, total: Yuan::ZERO, first: Vec::new() }
}

fn candidate(account: &accounts_db::ArrearsAccount, lines: &[NoticeLine], owed: &Owed) -> NoticeCandidate {
    NoticeCandidate {
        account_no: account.account_no.to_string(),
        name: account.name.clone(),
        address: account.address.clone(),
        periods: u32::try_from(lines.len()).unwrap_or(u32::MAX),
        principal: owed.principal,
        late_fee: owed.late_fee,
        total: owed.total(),
        days_overdue: owed.days_overdue,
    }
}

/// How a run ended.
enum RunEnd {
    Done,
    Cancelled,
    Failed(crate::error::ErrorBody),
}
