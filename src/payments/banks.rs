//! 银行: the banks a voucher or a deposit slip can come from, by their standard bank code (银行行别
//! 代码). A voucher is "used once per (bank, serial)": that only holds if one bank is always the
//! same key, so the counter stores the code, never the name as typed (`工商银行`, `中国工商银行` and
//! `ICBC` must not be three banks). Shipped data; the central ledger may send a longer list later.

/// (code, name): the national and joint-stock banks and the rural credit cooperatives.
pub const BANKS: &[(&str, &str)] = &[
    ("102", "中国工商银行"),
    ("103", "中国农业银行"),
    ("104", "中国银行"),
    ("105", "中国建设银行"),
    ("301", "交通银行"),
    ("302", "中信银行"),
    ("303", "中国光大银行"),
    ("304", "华夏银行"),
    ("305", "中国民生银行"),
    ("306", "广发银行"),
    ("307", "平安银行"),
    ("308", "招商银行"),
    ("309", "兴业银行"),
    ("310", "上海浦东发展银行"),
    ("402", "农村信用合作社"),
    ("403", "中国邮政储蓄银行"),
];

/// Common short names, as cashiers type them.
const ALIASES: &[(&str, &str)] = &[
    ("工商银行", "102"),
    ("工行", "102"),
    ("ICBC", "102"),
    ("农业银行", "103"),
    ("农行", "103"),
    ("ABC", "103"),
    ("中行", "104"),
    ("BOC", "104"),
    ("建设银行", "105"),
    ("建行", "105"),
    ("CCB", "105"),
    ("交行", "301"),
    ("BOCOM", "301"),
    ("光大银行", "303"),
    ("民生银行", "305"),
    ("浦发银行", "310"),
    ("农信社", "402"),
    ("邮储银行", "403"),
    ("邮政储蓄银行", "403"),
    ("PSBC", "403"),
    ("招行", "308"),
];

/// A bank by its code, its name, or a common short name: (code, name).
pub fn resolve(typed: &str) -> Option<(&'static str, &'static str)> {
    let t = typed.trim();
    let code = ALIASES.iter().find(|(a, _)| a.eq_ignore_ascii_case(t)).map(|(_, c)| *c).unwrap_or(t);
    BANKS.iter().find(|(c, n)| *c == code || *n == t).copied()
}

/// The name of a stored bank code (the code itself when unknown).
pub fn name_of(code: &str) -> &str {
    BANKS.iter().find(|(c, _)| *c == code).map(|(_, n)| *n).unwrap_or(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bank_one_key_however_it_is_typed() {
        for typed in ["中国工商银行", "工商银行", "工行", "icbc", " 102 "] {
            assert_eq!(resolve(typed), Some(("102", "中国工商银行")), "{typed}");
        }
        assert_eq!(resolve("某某银行"), None);
        assert_eq!(name_of("403"), "中国邮政储蓄银行");
    }
}
