//! 输入规整: what a person typed, made plain before any rule validates it. The one place where the
//! core forgives a tired hand (DOMAIN.md "Shifts and cash"):
//!
//! - full-width characters (全角) typed with a Chinese input method become their half-width forms:
//!   `１２３．４５` is `123.45`, `３１０００００００１` is `3100000001`, the ideographic space `　` is a space
//!   and the ideographic full stop `。` (a point typed in Chinese mode) is `.`;
//! - around any field, spaces (of either width) are dropped;
//! - inside a number that identifies something (户号, 表号, a digit search), spaces and hyphens are
//!   ignored: `3100-0000 01` is `3100000001`.
//!
//! Amounts get the first two only: a hyphen in an amount is a minus sign and stays, so that `-1` is
//! still refused as negative rather than read as `1`; a space inside an amount (`1 884.29`) stays and
//! is refused by the strict parser, because it may as well be two amounts.
//!
//! The UI mirrors these functions for live feedback (`ui/src/money.ts`); the core's answer stands.

/// Full-width ASCII (U+FF01..U+FF5E) to ASCII, the ideographic space to a space, `。` to `.`.
pub fn half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            '。' => '.',
            _ => c,
        })
        .collect()
}

/// A typed amount, ready for `Yuan::parse`: half-width, trimmed.
pub fn amount(s: &str) -> String {
    half_width(s).trim().to_string()
}

/// A typed identifying number (户号, 表号): half-width, spaces and hyphens (of either width)
/// removed. Text that is not a number after that is returned trimmed but otherwise as typed, so a
/// name or an address keeps its own spaces.
pub fn number(s: &str) -> String {
    let half = half_width(s);
    let squeezed: String = half.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if !squeezed.is_empty() && squeezed.bytes().all(|b| b.is_ascii_digit()) {
        squeezed
    } else {
        half.trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::full_width_amount("１８８４．２９", "1884.29")]
    #[case::chinese_full_stop("１８８４。２９", "1884.29")]
    #[case::ideographic_spaces("\u{3000}12.30\u{3000}", "12.30")]
    #[case::minus_stays("-1", "-1")]
    #[case::full_width_minus_stays("－１", "-1")]
    #[case::inner_space_stays("1 884.29", "1 884.29")]
    #[case::plain("0.01", "0.01")]
    fn amounts(#[case] typed: &str, #[case] plain: &str) {
        assert_eq!(amount(typed), plain);
    }

    #[rstest]
    #[case::full_width("３１０００００００１", "3100000001")]
    #[case::hyphens_and_spaces("3100-0000 01", "3100000001")]
    #[case::full_width_hyphen_and_space("３１００－００００\u{3000}０１", "3100000001")]
    #[case::name_keeps_spaces(" 示范市 华联 ", "示范市 华联")]
    #[case::address_with_hyphen_is_text("人民路12-3号", "人民路12-3号")]
    #[case::only_hyphens("--", "--")]
    fn numbers(#[case] typed: &str, #[case] plain: &str) {
        assert_eq!(number(typed), plain);
    }
}
