//! 银行对账单: the bank statement a finance user imports to confirm deposits in transit
//! (`cashdesk-ledger deposits match statement.csv`), and the rule that matches its lines to
//! deposits. Pure: reading the file and [`classify`] do no I/O, so tables of cases test them.
//!
//! The file: UTF-8 CSV (a byte-order mark is allowed), a header row, then one row per credit to the
//! utility's account, five columns in this order:
//!
//! | column | 中文 | what |
//! |---|---|---|
//! | `date` | 交易日期 | the day the bank credited it: `YYYY-MM-DD` or `YYYYMMDD`, not after today |
//! | `amount` | 金额 | the credit, e.g. `1234.50`: more than 0, two decimals at most, no `,` or `¥` |
//! | `slip_no` | 解款单号 | the deposit slip's number, as the counter recorded it; may be empty when the 摘要 names it |
//! | `reference` | 流水号 | the bank's reference of the credit (at most 100 characters); may be empty |
//! | `memo` | 摘要 | the bank's text; searched for a slip number when `slip_no` is empty |
//!
//! The header is either `date,amount,slip_no,reference,memo` or `交易日期,金额,解款单号,流水号,摘要`.
//! Only credits belong in it: export or filter the credit lines (贷方) first.
//!
//! All or nothing: every row is read and checked before anything is matched; any malformed row
//! (a field missing or extra, a bad date or amount, neither a slip number nor a 摘要) refuses the
//! whole file with each problem's line, column and reason, and nothing is confirmed.
//!
//! Matching ([`classify`]) is on the slip number AND the amount, exactly (the slip number after the
//! counter's own normalisation: full-width characters to half-width, trimmed). A line confirms a
//! deposit only when exactly one deposit has its slip number and its amount and that deposit is in
//! transit. A slip number found with another amount is a mismatch (reported, never confirmed); two
//! deposits with the slip and the amount are ambiguous (reported: a finance user confirms the right
//! one by hand); a line whose deposits are all confirmed already is reported as such, so importing
//! the same statement twice confirms nothing the second time.

use cashdesk::{
    accounts::import::{ImportError, RowError},
    input::half_width,
    money::Yuan,
};
use chrono::NaiveDate;
use uuid::Uuid;

pub const HEADER: [&str; 5] = ["date", "amount", "slip_no", "reference", "memo"];
pub const HEADER_ZH: [&str; 5] = ["交易日期", "金额", "解款单号", "流水号", "摘要"];

/// A slip number is 4 to 40 characters at the counter.
const SLIP_CHARS: std::ops::RangeInclusive<usize> = 4..=40;
const MAX_MEMO: usize = 500;

/// One credit of the statement, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The line of the file (the header is line 1).
    pub line: u64,
    pub date: NaiveDate,
    pub amount: Yuan,
    /// Normalised as the counter normalises it; `None` when the column was empty.
    pub slip_no: Option<String>,
    pub reference: Option<String>,
    pub memo: String,
}

/// Read a statement; `today` is the province's date (no credit is dated after it).
pub fn read(bytes: &[u8], today: NaiveDate) -> Result<Vec<Line>, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ImportError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text.as_bytes());
    let found: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(e) => {
            return Err(ImportError::Rejected(vec![RowError { line: 1, column: "-".into(), reason: e.to_string() }]));
        }
    };
    if found != HEADER && found != HEADER_ZH {
        return Err(ImportError::Header {
            expected: format!("{}` or `{}", HEADER.join(","), HEADER_ZH.join(",")),
            found: found.join(","),
        });
    }
    // The line of the file a record starts on, as an editor shows it. The reader's position is where
    // it began reading the record, before the blank lines it skipped on the way (which its own line
    // count leaves out): count the lines up to the record's first character.
    let line_at = |p: Option<&csv::Position>| {
        let b = p.and_then(|p| usize::try_from(p.byte()).ok()).filter(|b| text.is_char_boundary(*b));
        b.map_or(0, |b| {
            let rest = &text[b..];
            let start = b + (rest.len() - rest.trim_start_matches(['\r', '\n']).len());
            text[..start].matches('\n').count() as u64 + 1
        })
    };
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError { line: line_at(e.position()), column: "-".into(), reason: e.to_string() });
                continue;
            }
        };
        let line = line_at(record.position());
        // A blank line in a spreadsheet's export: nothing to match, nothing wrong.
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() != HEADER.len() {
            errors.push(RowError {
                line,
                column: "-".into(),
                reason: format!("{} fields, expected {}", record.len(), HEADER.len()),
            });
            continue;
        }
        let fields: Vec<&str> = record.iter().map(str::trim).collect();
        match row(line, &fields, today) {
            Ok(l) => lines.push(l),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(ImportError::Rejected(errors));
    }
    if lines.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(lines)
}

/// One data row: its line, or every problem in it.
fn row(line: u64, f: &[&str], today: NaiveDate) -> Result<Line, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut fail = |column: &str, reason: String| errors.push(RowError { line, column: column.into(), reason });
    let date = match date(f[0]) {
        Some(d) if d > today => {
            fail("date", format!("{d} is after today ({today})"));
            None
        }
        Some(d) => Some(d),
        None => {
            fail("date", format!("'{}' is not a date: YYYY-MM-DD or YYYYMMDD", f[0]));
            None
        }
    };
    let amount = match Yuan::parse(&half_width(f[1])) {
        Ok(a) if a.is_positive() => Some(a),
        Ok(a) => {
            fail("amount", format!("{a}: a credit is more than 0.00 (only credits belong in the file)"));
            None
        }
        Err(e) => {
            fail("amount", e.to_string());
            None
        }
    };
    let slip_no = half_width(f[2]).trim().to_string();
    let slip_no = if slip_no.is_empty() {
        None
    } else if !SLIP_CHARS.contains(&slip_no.chars().count()) || slip_no.chars().any(char::is_control) {
        fail("slip_no", format!("'{slip_no}' is not a slip number: 4 to 40 characters"));
        None
    } else {
        Some(slip_no)
    };
    let reference = f[3].to_string();
    if reference.chars().count() > super::MAX_REFERENCE || reference.chars().any(char::is_control) {
        fail("reference", format!("at most {} characters, without control characters", super::MAX_REFERENCE));
    }
    let memo = half_width(f[4]);
    if memo.chars().count() > MAX_MEMO || memo.chars().any(char::is_control) {
        fail("memo", format!("at most {MAX_MEMO} characters, without control characters"));
    }
    if f[2].is_empty() && memo.trim().is_empty() {
        fail("slip_no", "empty, and so is memo: nothing names the deposit".into());
    }
    match (date, amount) {
        (Some(date), Some(amount)) if errors.is_empty() => Ok(Line {
            line,
            date,
            amount,
            slip_no,
            reference: (!reference.is_empty()).then_some(reference),
            memo: memo.trim().to_string(),
        }),
        _ => Err(errors),
    }
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .or_else(|| (s.len() == 8).then(|| NaiveDate::parse_from_str(s, "%Y%m%d").ok()).flatten())
}

/// Whether `memo` names `slip`: the slip number is in it and is not part of a longer run of letters
/// and digits (`JK0012` is in `解款JK0012/张三` but not in `JK00123`).
pub fn mentions(memo: &str, slip: &str) -> bool {
    if slip.is_empty() {
        return false;
    }
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    memo.match_indices(slip)
        .any(|(i, _)| !word(memo[..i].chars().next_back()) && !word(memo[i + slip.len()..].chars().next()))
}

/// A deposit a line may be about (its slip number is the line's, or the line's 摘要 names it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub event_id: Uuid,
    pub slip_no: String,
    pub amount: Yuan,
    pub confirmed: bool,
}

/// What a line comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Exactly one deposit has the slip number and the amount, and it is in transit: confirm it.
    Confirm(Uuid),
    /// Every deposit with the slip number and the amount is confirmed already.
    AlreadyConfirmed(Vec<Uuid>),
    /// Deposits with the slip number, none with the amount.
    AmountMismatch(Vec<Uuid>),
    /// More than one deposit with the slip number and the amount, not all confirmed.
    Ambiguous(Vec<Uuid>),
    /// No deposit has the slip number.
    Unmatched,
}

/// The matching rule (see the module docs). `candidates` may hold deposits the line does not name:
/// only those whose slip number is the line's (or, without one, that its 摘要 names) count.
pub fn classify(line: &Line, candidates: &[Candidate]) -> Verdict {
    let named: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| match &line.slip_no {
            Some(slip) => c.slip_no == *slip,
            None => mentions(&line.memo, &c.slip_no),
        })
        .collect();
    let exact: Vec<&Candidate> = named.iter().copied().filter(|c| c.amount == line.amount).collect();
    let ids = |cs: &[&Candidate]| cs.iter().map(|c| c.event_id).collect::<Vec<_>>();
    match exact.as_slice() {
        [] if named.is_empty() => Verdict::Unmatched,
        [] => Verdict::AmountMismatch(ids(&named)),
        all if all.iter().all(|c| c.confirmed) => Verdict::AlreadyConfirmed(ids(all)),
        [one] => Verdict::Confirm(one.event_id),
        many => Verdict::Ambiguous(ids(many)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
    }

    fn y(s: &str) -> Yuan {
        Yuan::parse(s).unwrap()
    }

    #[test]
    fn a_statement_is_read_in_either_header_and_normalised() {
        let csv = "\u{feff}交易日期,金额,解款单号,流水号,摘要\n\
                   20261205,1234.50,ＪＫ００１２,B-1,现金解款\n\
                   \n\
                   2026-12-06, 20.00 ,,,解款 JK0013 张三\n";
        let lines = read(csv.as_bytes(), today()).unwrap();
        assert_eq!(lines.len(), 2, "the blank line is skipped, and counted");
        assert_eq!(
            lines[0],
            Line {
                line: 2,
                date: NaiveDate::from_ymd_opt(2026, 12, 5).unwrap(),
                amount: y("1234.50"),
                slip_no: Some("JK0012".into()),
                reference: Some("B-1".into()),
                memo: "现金解款".into(),
            }
        );
        assert_eq!((lines[1].line, lines[1].slip_no.as_deref(), lines[1].reference.as_deref()), (4, None, None));
        let en = "date,amount,slip_no,reference,memo\n2026-12-06,1.00,JK0014,,\n";
        assert_eq!(read(en.as_bytes(), today()).unwrap()[0].slip_no.as_deref(), Some("JK0014"));
    }

    #[test]
    fn every_malformed_row_is_reported_by_line_and_nothing_is_read() {
        let csv = "date,amount,slip_no,reference,memo\n\
                   2026-12-06,1.00,JK0001,R1,ok\n\
                   2026-13-01,1.00,JK0002,R2,\n\
                   2026-12-06,1.234,JK0003,R3,\n\
                   2026-12-06,-5.00,JK0004,R4,\n\
                   2026-12-06,5.00,,R5,\n\
                   2026-12-06,5.00,JK0006\n\
                   2026-12-08,5.00,JK0007,R7,\n\
                   2026-12-06,\"1,000.00\",JK8,R8,\n";
        let Err(ImportError::Rejected(errors)) = read(csv.as_bytes(), today()) else { panic!("refused") };
        let got: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert_eq!(
            got,
            [
                (3, "date"),
                (4, "amount"),
                (5, "amount"),
                (6, "slip_no"),
                (7, "-"),
                (8, "date"),
                (9, "amount"),
                (9, "slip_no")
            ],
            "{errors:?}"
        );
        let message = ImportError::Rejected(errors).to_string();
        assert!(message.contains("nothing was imported") && message.contains("line 8, column date"), "{message}");
    }

    #[rstest]
    #[case::wrong_header("日期,金额,单号,流水号,摘要\n2026-12-06,1.00,JK0001,,\n")]
    #[case::columns_moved("amount,date,slip_no,reference,memo\n1.00,2026-12-06,JK0001,,\n")]
    #[case::no_rows("date,amount,slip_no,reference,memo\n")]
    fn a_file_without_the_header_or_rows_is_refused(#[case] csv: &str) {
        assert!(read(csv.as_bytes(), today()).is_err());
    }

    #[test]
    fn not_utf8_is_refused() {
        assert_eq!(read(b"date,amount\n\xff\xfe", today()), Err(ImportError::NotUtf8));
    }

    #[rstest]
    #[case::alone("JK0012", "JK0012", true)]
    #[case::among_chinese("现金解款JK0012张三", "JK0012", true)]
    #[case::between_separators("解款/JK0012/01", "JK0012", true)]
    #[case::a_longer_number("解款JK00123", "JK0012", false)]
    #[case::inside_a_word("AJK0012", "JK0012", false)]
    #[case::the_second_occurrence("JK00123 JK0012", "JK0012", true)]
    #[case::absent("现金解款", "JK0012", false)]
    #[case::an_empty_slip("现金解款", "", false)]
    fn a_memo_names_a_slip_only_as_a_whole(#[case] memo: &str, #[case] slip: &str, #[case] named: bool) {
        assert_eq!(mentions(memo, slip), named);
    }

    fn line(slip: Option<&str>, amount: &str, memo: &str) -> Line {
        Line {
            line: 2,
            date: today(),
            amount: y(amount),
            slip_no: slip.map(str::to_string),
            reference: None,
            memo: memo.into(),
        }
    }

    fn dep(n: u128, slip: &str, amount: &str, confirmed: bool) -> Candidate {
        Candidate { event_id: Uuid::from_u128(n), slip_no: slip.into(), amount: y(amount), confirmed }
    }

    fn ids(ns: &[u128]) -> Vec<Uuid> {
        ns.iter().map(|n| Uuid::from_u128(*n)).collect()
    }

    #[rstest]
    #[case::one_in_transit(Some("S1"), "10.00", "", vec![dep(1, "S1", "10.00", false)], Verdict::Confirm(Uuid::from_u128(1)))]
    #[case::already_confirmed(Some("S1"), "10.00", "", vec![dep(1, "S1", "10.00", true)], Verdict::AlreadyConfirmed(ids(&[1])))]
    #[case::another_amount(Some("S1"), "10.01", "", vec![dep(1, "S1", "10.00", false)], Verdict::AmountMismatch(ids(&[1])))]
    #[case::another_amount_confirmed(Some("S1"), "9.99", "", vec![dep(1, "S1", "10.00", true)], Verdict::AmountMismatch(ids(&[1])))]
    #[case::no_such_slip(Some("S9"), "10.00", "", vec![dep(1, "S1", "10.00", false)], Verdict::Unmatched)]
    #[case::nothing_at_all(Some("S1"), "10.00", "", vec![], Verdict::Unmatched)]
    #[case::two_with_the_slip_and_amount(Some("S1"), "10.00", "", vec![dep(1, "S1", "10.00", false), dep(2, "S1", "10.00", false)], Verdict::Ambiguous(ids(&[1, 2])))]
    #[case::one_confirmed_one_not_is_still_ambiguous(Some("S1"), "10.00", "", vec![dep(1, "S1", "10.00", true), dep(2, "S1", "10.00", false)], Verdict::Ambiguous(ids(&[1, 2])))]
    #[case::the_amount_picks_one_of_two(Some("S1"), "20.00", "", vec![dep(1, "S1", "10.00", false), dep(2, "S1", "20.00", false)], Verdict::Confirm(Uuid::from_u128(2)))]
    #[case::by_the_memo(None, "10.00", "解款S1001张三", vec![dep(1, "S1001", "10.00", false), dep(2, "S100", "10.00", false)], Verdict::Confirm(Uuid::from_u128(1)))]
    #[case::the_memo_names_another_amount(None, "10.00", "解款 S1001", vec![dep(1, "S1001", "12.00", false)], Verdict::AmountMismatch(ids(&[1])))]
    #[case::the_memo_names_nothing(None, "10.00", "现金", vec![dep(1, "S1001", "10.00", false)], Verdict::Unmatched)]
    #[case::a_slip_column_wins_over_the_memo(Some("S2002"), "10.00", "S1001", vec![dep(1, "S1001", "10.00", false)], Verdict::Unmatched)]
    fn a_line_confirms_only_the_one_deposit_with_its_slip_and_amount(
        #[case] slip: Option<&str>,
        #[case] amount: &str,
        #[case] memo: &str,
        #[case] candidates: Vec<Candidate>,
        #[case] verdict: Verdict,
    ) {
        assert_eq!(classify(&line(slip, amount, memo), &candidates), verdict);
    }
}
