//! 导出: the 实收日报 as CSV (one table, a section column, UTF-8 with a BOM so that Excel reads the
//! Chinese) and as XLSX (one sheet per section; every amount a number with a money format, so that
//! finance can add and filter; never text).
//!
//! The only place an amount becomes a float is `excel_number`: a spreadsheet cell holds an IEEE
//! double, so the decimal string of the `Yuan` is parsed to the nearest double, exactly what a
//! person typing the amount into Excel gets; no arithmetic is done on it. Every other figure
//! (totals, nets) is computed in `Yuan` before it is written.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::daily::{DailyReport, Scope};
use crate::{
    Error, Result,
    money::Yuan,
    payments::{Method, PaymentKind},
};

fn kind_zh(k: PaymentKind) -> &'static str {
    match k {
        PaymentKind::Payment => "缴费",
        PaymentKind::Vend => "售电",
    }
}

fn method_zh(m: Method) -> &'static str {
    match m {
        Method::Cash => "现金",
        Method::Transfer => "转账",
    }
}

/// The report's scope in words.
pub fn scope_zh(s: &Scope) -> String {
    match s {
        Scope::Shift { shift_id } => format!("班次 {shift_id}"),
        Scope::Cashier { username } => format!("收费员 {username}"),
        Scope::TerminalDay => "全终端".to_string(),
    }
}

/// CSV text: a header, then one row per line of each section.
pub fn csv(r: &DailyReport) -> Result<Vec<u8>> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let err = |e: csv::Error| Error::Internal(format!("cannot write the CSV: {e}"));
        w.write_record(["区块", "编号", "时间", "类型", "方式", "户号", "户名", "收费员", "金额", "备注"])
            .map_err(err)?;
        let head = format!("{} {} {}", r.terminal, r.date, scope_zh(&r.scope));
        for t in &r.totals {
            w.write_record([
                "汇总",
                &head,
                "",
                kind_zh(t.kind),
                method_zh(t.method),
                "",
                "",
                "",
                &t.amount.to_string(),
                &format!("{} 笔", t.count),
            ])
            .map_err(err)?;
        }
        for (label, amount) in summary(r) {
            w.write_record(["汇总", &head, "", "", "", "", "", "", &amount.to_string(), label]).map_err(err)?;
        }
        for x in &r.receipts {
            let note = match (r.counts(x), &x.waiver_reason) {
                (false, _) => "作废".to_string(),
                (true, Some(w)) => format!("减免违约金 {}：{w}", x.waived),
                (true, None) if x.holiday_cash => "节假日现金".to_string(),
                _ => String::new(),
            };
            w.write_record([
                "收据",
                &x.receipt_no,
                &x.at,
                kind_zh(x.kind),
                method_zh(x.method),
                &x.account_no,
                &x.name,
                &x.cashier,
                &x.amount.to_string(),
                &note,
            ])
            .map_err(err)?;
        }
        for v in &r.voids {
            let section = if v.issued_on < r.date { "更正" } else { "作废" };
            let note = format!("{}（{} 批准；原收据 {}）", v.reason, v.approved_by, v.issued_on);
            w.write_record([
                section,
                &v.receipt_no,
                &v.at,
                "",
                method_zh(v.method),
                "",
                "",
                &v.cashier,
                &v.amount.to_string(),
                &note,
            ])
            .map_err(err)?;
        }
        for d in &r.deposits {
            let note = format!("{}；出自钱箱 {}", d.bank, d.from_drawer);
            w.write_record(["解款", &d.slip_no, &d.at, "", "", "", "", &d.cashier, &d.amount.to_string(), &note])
                .map_err(err)?;
        }
        for c in &r.closes {
            let note = format!(
                "应有 {} 实点 {}{}{}",
                c.expected,
                c.counted,
                c.reason.as_deref().map(|w| format!("；{w}")).unwrap_or_default(),
                c.approved_by.as_deref().map(|a| format!("（{a} 批准）")).unwrap_or_default()
            );
            w.write_record([
                "长短款",
                &c.shift_id.to_string(),
                "",
                "",
                "",
                "",
                "",
                &c.cashier,
                &c.difference.to_string(),
                &note,
            ])
            .map_err(err)?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// The summary lines after the totals by kind and method.
fn summary(r: &DailyReport) -> Vec<(&'static str, Yuan)> {
    vec![
        ("合计（不含作废）", r.total),
        ("其中现金", r.cash_total),
        ("其中转账", r.transfer_total),
        ("当日作废", r.voided_amount),
        ("更正（冲销往日收据）", r.corrections),
        ("净额", r.net),
        ("减免违约金", r.waived_total),
        ("节假日现金", r.holiday_cash_total),
        ("解款", r.deposits_total),
        ("长短款", r.over_short),
    ]
}

/// An amount as a spreadsheet number (see the module docs).
#[allow(clippy::disallowed_types, reason = "the one conversion of a Yuan's decimal string to a spreadsheet's double")]
fn excel_number(y: Yuan) -> f64 {
    y.to_string().parse().unwrap_or_default()
}

fn xerr(e: XlsxError) -> Error {
    Error::Internal(format!("cannot write the spreadsheet: {e}"))
}

fn header(ws: &mut Worksheet, cols: &[&str], bold: &Format) -> Result<()> {
    for (i, c) in cols.iter().enumerate() {
        ws.write_string_with_format(0, u16::try_from(i).unwrap_or(0), *c, bold).map_err(xerr)?;
    }
    Ok(())
}

/// The XLSX file.
pub fn xlsx(r: &DailyReport) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let money = Format::new().set_num_format("#,##0.00");
    let bold = Format::new().set_bold();

    let ws = wb.add_worksheet().set_name("汇总").map_err(xerr)?;
    ws.write_string(0, 0, format!("实收日报  {}  {}  {}", r.terminal, r.date, scope_zh(&r.scope))).map_err(xerr)?;
    let mut row = 2u32;
    for (i, c) in ["类型", "方式", "笔数", "金额"].iter().enumerate() {
        ws.write_string_with_format(row, u16::try_from(i).unwrap_or(0), *c, &bold).map_err(xerr)?;
    }
    for t in &r.totals {
        row += 1;
        ws.write_string(row, 0, kind_zh(t.kind)).map_err(xerr)?;
        ws.write_string(row, 1, method_zh(t.method)).map_err(xerr)?;
        ws.write_number(row, 2, t.count).map_err(xerr)?;
        ws.write_number_with_format(row, 3, excel_number(t.amount), &money).map_err(xerr)?;
    }
    row += 1;
    for (label, amount) in summary(r) {
        row += 1;
        ws.write_string(row, 0, label).map_err(xerr)?;
        ws.write_number_with_format(row, 3, excel_number(amount), &money).map_err(xerr)?;
    }
    ws.set_column_width(0, 22).map_err(xerr)?;
    ws.set_column_width(3, 16).map_err(xerr)?;

    let ws = wb.add_worksheet().set_name("收据").map_err(xerr)?;
    header(
        ws,
        &["收据号", "时间", "类型", "方式", "户号", "户名", "收费员", "金额", "减免", "节假日现金", "作废"],
        &bold,
    )?;
    for (i, x) in r.receipts.iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
        ws.write_string(row, 0, &x.receipt_no).map_err(xerr)?;
        ws.write_string(row, 1, &x.at).map_err(xerr)?;
        ws.write_string(row, 2, kind_zh(x.kind)).map_err(xerr)?;
        ws.write_string(row, 3, method_zh(x.method)).map_err(xerr)?;
        ws.write_string(row, 4, &x.account_no).map_err(xerr)?;
        ws.write_string(row, 5, &x.name).map_err(xerr)?;
        ws.write_string(row, 6, &x.cashier).map_err(xerr)?;
        ws.write_number_with_format(row, 7, excel_number(x.amount), &money).map_err(xerr)?;
        ws.write_number_with_format(row, 8, excel_number(x.waived), &money).map_err(xerr)?;
        ws.write_string(row, 9, if x.holiday_cash { "是" } else { "" }).map_err(xerr)?;
        ws.write_string(row, 10, if r.counts(x) { "" } else { "作废" }).map_err(xerr)?;
    }
    ws.set_column_width(0, 24).map_err(xerr)?;

    let ws = wb.add_worksheet().set_name("作废与更正").map_err(xerr)?;
    header(ws, &["收据号", "原收据日期", "时间", "方式", "金额", "原因", "收费员", "批准人", "类别"], &bold)?;
    for (i, v) in r.voids.iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
        ws.write_string(row, 0, &v.receipt_no).map_err(xerr)?;
        ws.write_string(row, 1, v.issued_on.to_string()).map_err(xerr)?;
        ws.write_string(row, 2, &v.at).map_err(xerr)?;
        ws.write_string(row, 3, method_zh(v.method)).map_err(xerr)?;
        ws.write_number_with_format(row, 4, excel_number(v.amount), &money).map_err(xerr)?;
        ws.write_string(row, 5, &v.reason).map_err(xerr)?;
        ws.write_string(row, 6, &v.cashier).map_err(xerr)?;
        ws.write_string(row, 7, &v.approved_by).map_err(xerr)?;
        ws.write_string(row, 8, if v.issued_on < r.date { "更正" } else { "当日作废" }).map_err(xerr)?;
    }

    let ws = wb.add_worksheet().set_name("解款").map_err(xerr)?;
    header(ws, &["解款单号", "银行", "时间", "收费员", "金额", "出自钱箱"], &bold)?;
    for (i, d) in r.deposits.iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
        ws.write_string(row, 0, &d.slip_no).map_err(xerr)?;
        ws.write_string(row, 1, &d.bank).map_err(xerr)?;
        ws.write_string(row, 2, &d.at).map_err(xerr)?;
        ws.write_string(row, 3, &d.cashier).map_err(xerr)?;
        ws.write_number_with_format(row, 4, excel_number(d.amount), &money).map_err(xerr)?;
        ws.write_number_with_format(row, 5, excel_number(d.from_drawer), &money).map_err(xerr)?;
    }

    let ws = wb.add_worksheet().set_name("长短款").map_err(xerr)?;
    header(ws, &["班次", "收费员", "应有现金", "实点现金", "差额", "原因", "批准人"], &bold)?;
    for (i, c) in r.closes.iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
        ws.write_number(row, 0, u32::try_from(c.shift_id).unwrap_or(0)).map_err(xerr)?;
        ws.write_string(row, 1, &c.cashier).map_err(xerr)?;
        ws.write_number_with_format(row, 2, excel_number(c.expected), &money).map_err(xerr)?;
        ws.write_number_with_format(row, 3, excel_number(c.counted), &money).map_err(xerr)?;
        ws.write_number_with_format(row, 4, excel_number(c.difference), &money).map_err(xerr)?;
        ws.write_string(row, 5, c.reason.as_deref().unwrap_or("")).map_err(xerr)?;
        ws.write_string(row, 6, c.approved_by.as_deref().unwrap_or("")).map_err(xerr)?;
    }
    wb.save_to_buffer().map_err(xerr)
}
