//! 金额: money. Owns [`Yuan`], the one type that holds an amount of CNY in Cashdesk, its strict
//! parsing of what a cashier types, its display, and its Chinese capitals (大写金额).
//!
//! Invariants:
//! - a `Yuan` wraps a [`rust_decimal::Decimal`] whose scale is exactly 2 (元.角分); no float ever
//!   holds money, so `0.10 + 0.20` is exactly `0.30`;
//! - the magnitude is bounded by [`Yuan::MAX`] (`i64::MAX` 分, about 92 quadrillion yuan), so
//!   [`Yuan::fen`] is always exact. Input never comes near it: [`Yuan::parse`] accepts at most 12
//!   integer digits (< 1,000,000,000,000 yuan), so the bound is 92,000 times the largest amount a
//!   cashier can type. Arithmetic that would leave the range stops at the bound instead of panicking;
//!   no real counter total reaches it;
//! - zero has no sign: `-Yuan::ZERO` is `Yuan::ZERO` and prints `0.00`.
//!
//! Design: the type crosses every boundary (IPC, JSON, CSV) as its decimal string (`"12.30"`), never
//! as a JSON number, so TypeScript never puts money in a float. Deserializing goes through the strict
//! [`Yuan::parse`], which refuses negative amounts: a negative `Yuan` (a reversal, a short) serializes
//! but is not accepted back from the wire.
//!
//! The 大写 form is written here, not taken from a library, because the popular ones drop the `零` and
//! `整` that 会计基础工作规范 art. 52 and 支付结算办法 annex 1 require; see [`Yuan::words`].

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// 金额: an amount of CNY with exactly two decimal places (元.角分).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(try_from = "String", into = "String")]
#[ts(type = "string")]
pub struct Yuan(Decimal);

/// Why a typed amount was refused. The UI branches on [`MoneyError::code`], never on the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("the amount is empty: type an amount such as 12.30")]
    Empty,
    #[error(
        "the amount is not a number Cashdesk accepts: use digits and at most one decimal point, like 12.30 \
         (no currency sign, spaces, commas, plus sign or exponent)"
    )]
    Format,
    #[error("the amount is negative: type the amount without a minus sign, like 12.30")]
    Negative,
    #[error("the amount has more than 2 decimals: money is counted to the fen (分), like 12.35")]
    TooManyDecimals,
    #[error("the amount is too large: at most 12 digits before the decimal point, like 999999999999.99")]
    TooLarge,
}

impl MoneyError {
    /// Stable code for the UI and the logs.
    pub fn code(&self) -> &'static str {
        match self {
            MoneyError::Empty => "MONEY_EMPTY",
            MoneyError::Format => "MONEY_FORMAT",
            MoneyError::Negative => "MONEY_NEGATIVE",
            MoneyError::TooManyDecimals => "MONEY_DECIMALS",
            MoneyError::TooLarge => "MONEY_TOO_LARGE",
        }
    }
}

/// Most integer digits [`Yuan::parse`] accepts.
const MAX_INTEGER_DIGITS: usize = 12;

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
/// Units of the four positions inside a group of four digits (个, 拾, 佰, 仟).
const POSITION_UNITS: [&str; 4] = ["", "拾", "佰", "仟"];

impl Yuan {
    /// 零元.
    pub const ZERO: Yuan = Yuan(Decimal::from_parts(0, 0, 0, false, 2));
    /// The largest amount a `Yuan` holds: `i64::MAX` 分 (92,233,720,368,547,758.07).
    pub const MAX: Yuan = Yuan(Decimal::from_parts(u32::MAX, 0x7FFF_FFFF, 0, false, 2));
    /// The smallest amount a `Yuan` holds: `-MAX` (so that negation never leaves the range).
    pub const MIN: Yuan = Yuan(Decimal::from_parts(u32::MAX, 0x7FFF_FFFF, 0, true, 2));

    /// Parses an amount as a cashier types it. Surrounding ASCII whitespace is ignored; the rest
    /// must be 1–12 digits, optionally followed by a point and 1–2 digits (`12.3`, `12.30`, `0`).
    /// Everything else is refused with the reason: signs, `¥`, commas, spaces inside, exponents,
    /// full-width digits, `.5`, `5.`.
    pub fn parse(s: &str) -> Result<Yuan, MoneyError> {
        let s = s.trim_matches(|c: char| c.is_ascii_whitespace());
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        if let Some(rest) = s.strip_prefix('-') {
            // Only call it "negative" when the rest is a number; "-abc" is a format error.
            return Err(match Yuan::parse(rest) {
                Ok(_) | Err(MoneyError::TooManyDecimals | MoneyError::TooLarge) => MoneyError::Negative,
                Err(_) => MoneyError::Format,
            });
        }
        let (integer, fraction) = match s.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (s, None),
        };
        let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(integer) || !fraction.is_none_or(all_digits) {
            return Err(MoneyError::Format);
        }
        if fraction.is_some_and(|f| f.len() > 2) {
            return Err(MoneyError::TooManyDecimals);
        }
        if integer.len() > MAX_INTEGER_DIGITS {
            return Err(MoneyError::TooLarge);
        }
        // At most 14 significant digits: always representable, so this error is unreachable, but
        // it is mapped rather than unwrapped.
        let mut d = Decimal::from_str_exact(s).map_err(|_| MoneyError::Format)?;
        d.rescale(2);
        Ok(Yuan(d))
    }

    /// An amount given in 分 (1/100 yuan). Every `i64` is in range.
    pub fn from_fen(fen: i64) -> Yuan {
        Yuan::bounded(Decimal::new(fen, 2))
    }

    /// The amount in 分, exactly (value × 100). Exact for every `Yuan`, because the type's range is
    /// bounded to `i64::MAX` 分 (see the module docs).
    pub fn fen(self) -> i64 {
        // The invariant (scale 2, |mantissa| ≤ i64::MAX) makes the conversion infallible; the
        // fallback keeps the function total without a panic path.
        i64::try_from(self.0.mantissa()).unwrap_or(0)
    }

    /// Rounds a computed amount half-up to the fen (四舍五入: away from zero at exactly .5 分), as
    /// the late-fee rule requires. Values beyond [`Yuan::MAX`] stop at the bound.
    pub fn from_decimal_half_up(d: Decimal) -> Yuan {
        if d > Yuan::MAX.0 {
            return Yuan::MAX;
        }
        if d < Yuan::MIN.0 {
            return Yuan::MIN;
        }
        Yuan::bounded(d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
    }

    /// The amount as a `Decimal` with scale 2, for computing with rates.
    pub fn decimal(self) -> Decimal {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    pub fn is_positive(self) -> bool {
        self.0 > Decimal::ZERO
    }

    pub fn is_negative(self) -> bool {
        self.0 < Decimal::ZERO
    }

    pub fn abs(self) -> Yuan {
        Yuan(self.0.abs())
    }

    pub fn min(self, other: Yuan) -> Yuan {
        Ord::min(self, other)
    }

    pub fn max(self, other: Yuan) -> Yuan {
        Ord::max(self, other)
    }

    /// 大写金额: the amount in Chinese capitals, in Cashdesk's one canonical form (DOMAIN.md, Money):
    /// `人民币` prefix; one `零` for each run of zeros between non-zero digits, also across 万/亿;
    /// `零` after 元 when the yuan digit is 0 and 角 is not, and before 分 when 角 is 0; `整` after 元
    /// or 角 when there is no 分; no 元 below one yuan; `人民币零元整` for zero. A negative amount
    /// is `人民币负` followed by the words of its absolute value.
    ///
    /// Groups of four digits are named 万 and 亿 as usual; past 亿 (amounts of 1e12 yuan and more,
    /// which [`Yuan::parse`] never yields) the names compose: 万亿 for 1e12, 亿亿 for 1e16.
    pub fn words(self) -> String {
        let fen = self.fen().unsigned_abs();
        let mut out = String::from(if self.is_negative() { "人民币负" } else { "人民币" });
        let integer = fen / 100;
        let jiao = (fen / 10 % 10) as usize;
        let fen_digit = (fen % 10) as usize;

        if integer == 0 && jiao == 0 && fen_digit == 0 {
            out.push_str("零元整");
            return out;
        }
        if integer > 0 {
            push_integer_words(&mut out, integer);
            out.push('元');
        }
        match (jiao, fen_digit) {
            (0, 0) => out.push('整'),
            (0, f) => {
                if integer > 0 {
                    out.push('零');
                }
                out.push(DIGITS[f]);
                out.push('分');
            }
            (j, f) => {
                if integer > 0 && integer.is_multiple_of(10) {
                    out.push('零');
                }
                out.push(DIGITS[j]);
                out.push('角');
                if f == 0 {
                    out.push('整');
                } else {
                    out.push(DIGITS[f]);
                    out.push('分');
                }
            }
        }
        out
    }

    /// Keeps the invariants: scale 2, within [MIN, MAX], no negative zero.
    fn bounded(d: Decimal) -> Yuan {
        if d.is_zero() {
            return Yuan::ZERO;
        }
        if d > Yuan::MAX.0 {
            return Yuan::MAX;
        }
        if d < Yuan::MIN.0 {
            return Yuan::MIN;
        }
        let mut d = d;
        d.rescale(2);
        Yuan(d)
    }
}

/// Writes a positive integer of yuan in capitals, without 元.
fn push_integer_words(out: &mut String, integer: u64) {
    let digits: Vec<usize> = integer.to_string().bytes().map(|b| usize::from(b - b'0')).collect();
    let len = digits.len();
    let mut zero_pending = false;
    let mut group_has_digit = false;
    for (i, &digit) in digits.iter().enumerate() {
        // Position counted from the units digit: 0 = 个, 4 = 万, 8 = 亿, 12 = 万亿, ...
        let position = len - 1 - i;
        if digit == 0 {
            // Leading digits are never 0, so a zero is always after a written digit.
            zero_pending = true;
        } else {
            if zero_pending {
                out.push('零');
                zero_pending = false;
            }
            out.push(DIGITS[digit]);
            out.push_str(POSITION_UNITS[position % 4]);
            group_has_digit = true;
        }
        if position > 0 && position.is_multiple_of(4) {
            if group_has_digit {
                push_group_name(out, position / 4);
            }
            group_has_digit = false;
        }
    }
}

/// 万 for group 1, 亿 for group 2, 万亿 for group 3, 亿亿 for group 4, ...
fn push_group_name(out: &mut String, group: usize) {
    if group % 2 == 1 {
        out.push('万');
    }
    for _ in 0..group / 2 {
        out.push('亿');
    }
}

impl Default for Yuan {
    fn default() -> Yuan {
        Yuan::ZERO
    }
}

/// Always two decimals: `12.30`, `0.07`, `-3.00`.
impl fmt::Display for Yuan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

/// Serde for an amount that may be negative (a difference: 短款 is below zero), for the few
/// records that carry one; [`Yuan`]'s own `Deserialize` refuses a minus, as a cashier types none.
pub mod signed {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use super::Yuan;

    pub fn serialize<S: Serializer>(y: &Yuan, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&y.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Yuan, D::Error> {
        let s = String::deserialize(d)?;
        match s.strip_prefix('-') {
            Some(rest) => Yuan::parse(rest).map(|y| -y),
            None => Yuan::parse(&s),
        }
        .map_err(D::Error::custom)
    }
}

impl TryFrom<String> for Yuan {
    type Error = MoneyError;
    fn try_from(s: String) -> Result<Yuan, MoneyError> {
        Yuan::parse(&s)
    }
}

impl From<Yuan> for String {
    fn from(y: Yuan) -> String {
        y.to_string()
    }
}

impl Add for Yuan {
    type Output = Yuan;
    fn add(self, other: Yuan) -> Yuan {
        // Both operands are within ±i64::MAX 分, far below Decimal's limit, so `+` cannot overflow.
        Yuan::bounded(self.0 + other.0)
    }
}

impl Sub for Yuan {
    type Output = Yuan;
    fn sub(self, other: Yuan) -> Yuan {
        Yuan::bounded(self.0 - other.0)
    }
}

impl Neg for Yuan {
    type Output = Yuan;
    fn neg(self) -> Yuan {
        Yuan::bounded(-self.0)
    }
}

impl AddAssign for Yuan {
    fn add_assign(&mut self, other: Yuan) {
        *self = *self + other;
    }
}

impl SubAssign for Yuan {
    fn sub_assign(&mut self, other: Yuan) {
        *self = *self - other;
    }
}

impl Sum for Yuan {
    fn sum<I: Iterator<Item = Yuan>>(iter: I) -> Yuan {
        iter.fold(Yuan::ZERO, |a, b| a + b)
    }
}

impl<'a> Sum<&'a Yuan> for Yuan {
    fn sum<I: Iterator<Item = &'a Yuan>>(iter: I) -> Yuan {
        iter.fold(Yuan::ZERO, |a, b| a + *b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;
    use rust_decimal_macros::dec;

    fn y(s: &str) -> Yuan {
        Yuan::parse(s).unwrap()
    }

    #[rstest]
    #[case::one_decimal("12.3", 1230)]
    #[case::two_decimals("12.30", 1230)]
    #[case::one_fen("0.01", 1)]
    #[case::zero("0", 0)]
    #[case::integer("5", 500)]
    #[case::largest("999999999999.99", 99_999_999_999_999)]
    #[case::leading_zeros_are_digits("007.5", 750)]
    #[case::surrounding_whitespace_trimmed(" \t12.30\n ", 1230)]
    fn parses_valid_amounts(#[case] input: &str, #[case] fen: i64) {
        let amount = Yuan::parse(input).unwrap();
        assert_eq!(amount.fen(), fen, "{input:?} is a valid amount of {fen} fen");
        assert_eq!(amount.decimal().scale(), 2, "every Yuan has scale 2");
    }

    #[rstest]
    #[case::three_decimals("12.345", MoneyError::TooManyDecimals)]
    #[case::negative("-1", MoneyError::Negative)]
    #[case::negative_decimal("-0.50", MoneyError::Negative)]
    #[case::minus_and_text("-abc", MoneyError::Format)]
    #[case::exponent("1e3", MoneyError::Format)]
    #[case::yuan_sign("¥12", MoneyError::Format)]
    #[case::comma_decimal("12,00", MoneyError::Format)]
    #[case::plus_sign("+5", MoneyError::Format)]
    #[case::no_integer_digit(".5", MoneyError::Format)]
    #[case::no_fraction_digit("5.", MoneyError::Format)]
    #[case::space_inside("1 000", MoneyError::Format)]
    #[case::full_width_digits("１２", MoneyError::Format)]
    #[case::two_points("1.2.3", MoneyError::Format)]
    #[case::full_width_space_not_trimmed("\u{3000}12", MoneyError::Format)]
    #[case::empty("", MoneyError::Empty)]
    #[case::blank("   ", MoneyError::Empty)]
    #[case::thirteen_digits("1000000000000", MoneyError::TooLarge)]
    #[case::thirteen_digits_with_fen("1000000000000.00", MoneyError::TooLarge)]
    fn refuses_invalid_amounts(#[case] input: &str, #[case] expected: MoneyError) {
        assert_eq!(Yuan::parse(input), Err(expected), "{input:?} must be refused as {expected:?}");
    }

    #[test]
    fn error_codes_are_stable() {
        assert_eq!(MoneyError::Empty.code(), "MONEY_EMPTY");
        assert_eq!(MoneyError::Format.code(), "MONEY_FORMAT");
        assert_eq!(MoneyError::Negative.code(), "MONEY_NEGATIVE");
        assert_eq!(MoneyError::TooManyDecimals.code(), "MONEY_DECIMALS");
        assert_eq!(MoneyError::TooLarge.code(), "MONEY_TOO_LARGE");
        assert!(MoneyError::Format.to_string().contains("12.30"), "the message shows what is allowed");
    }

    #[rstest]
    // DOMAIN.md rules
    #[case::zeros_in_group("1005", "人民币壹仟零伍元整")]
    #[case::zero_before_wan("1010000", "人民币壹佰零壹万元整")]
    #[case::zeros_across_wan("10001000", "人民币壹仟万零壹仟元整")]
    #[case::zero_after_wan("107000", "人民币壹拾万零柒仟元整")]
    #[case::zeros_across_yi_and_wan("1001000021", "人民币壹拾亿零壹佰万零贰拾壹元整")]
    #[case::yuan_digit_zero("1680.32", "人民币壹仟陆佰捌拾元零叁角贰分")]
    #[case::jiao_zero("325.04", "人民币叁佰贰拾伍元零肆分")]
    #[case::zheng_after_jiao("1409.50", "人民币壹仟肆佰零玖元伍角整")]
    #[case::jiao_only("0.40", "人民币肆角整")]
    #[case::fen_only("0.07", "人民币柒分")]
    #[case::zero("0", "人民币零元整")]
    #[case::leading_ten("10", "人民币壹拾元整")]
    // official examples
    #[case::official_6007_14("6007.14", "人民币陆仟零柒元壹角肆分")]
    #[case::official_16409_02("16409.02", "人民币壹万陆仟肆佰零玖元零贰分")]
    #[case::official_100111_11("100111.11", "人民币壹拾万零壹佰壹拾壹元壹角壹分")]
    #[case::always_write_optional_zeros("107000.53", "人民币壹拾万零柒仟元零伍角叁分")]
    // more
    #[case::one_fen("0.01", "人民币壹分")]
    #[case::one_million("1000000", "人民币壹佰万元整")]
    #[case::largest_input("999999999999.99", "人民币玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分")]
    #[case::one_yi("100000000", "人民币壹亿元整")]
    #[case::yuan_and_jiao("1.10", "人民币壹元壹角整")]
    #[case::tens_and_fen("20.05", "人民币贰拾元零伍分")]
    #[case::zeros_from_yi_to_units("100000001", "人民币壹亿零壹元整")]
    #[case::eleven_wan("110000", "人民币壹拾壹万元整")]
    #[case::half_yuan("0.50", "人民币伍角整")]
    #[case::yi_and_wan_without_zero("100010000", "人民币壹亿零壹万元整")]
    #[case::yuan_digit_zero_jiao_only("1000.50", "人民币壹仟元零伍角整")]
    fn words_are_canonical(#[case] amount: &str, #[case] expected: &str) {
        assert_eq!(y(amount).words(), expected, "大写 of {amount}");
    }

    #[rstest]
    #[case::negative("-3.00", "人民币负叁元整")]
    #[case::one_wan_yi("1000000000000.00", "人民币壹万亿元整")]
    #[case::beyond_input_range(
        "12345678901234.56",
        "人民币壹拾贰万亿叁仟肆佰伍拾陆亿柒仟捌佰玖拾万零壹仟贰佰叁拾肆元伍角陆分"
    )]
    #[case::yi_yi("10000000000000000.00", "人民币壹亿亿元整")]
    #[case::max(
        "92233720368547758.07",
        "人民币玖亿亿贰仟贰佰叁拾叁万亿柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌元零柒分"
    )]
    fn words_beyond_parse_do_not_panic(#[case] amount: &str, #[case] expected: &str) {
        let d = Decimal::from_str_exact(amount).unwrap();
        assert_eq!(Yuan::from_decimal_half_up(d).words(), expected, "大写 of {amount}");
    }

    #[rstest]
    #[case::round_half_up(dec!(0.125), "0.13")]
    #[case::round_down(dec!(0.1249), "0.12")]
    #[case::negative_half_away_from_zero(dec!(-0.125), "-0.13")]
    #[case::integer_gets_scale(dec!(7), "7.00")]
    #[case::negative_zero_has_no_sign(dec!(-0.001), "0.00")]
    #[case::huge_stops_at_max(Decimal::MAX, "92233720368547758.07")]
    #[case::huge_negative_stops_at_min(Decimal::MIN, "-92233720368547758.07")]
    fn rounds_half_up_to_the_fen(#[case] d: Decimal, #[case] expected: &str) {
        let amount = Yuan::from_decimal_half_up(d);
        assert_eq!(amount.to_string(), expected, "{d} rounds half-up to the fen");
        assert_eq!(amount.decimal().scale(), 2);
    }

    #[test]
    fn display_always_has_two_decimals() {
        assert_eq!(y("12.3").to_string(), "12.30");
        assert_eq!(y("0.07").to_string(), "0.07");
        assert_eq!((-y("3")).to_string(), "-3.00");
        assert_eq!(Yuan::ZERO.to_string(), "0.00");
        assert_eq!(Yuan::default(), Yuan::ZERO);
        assert_eq!((-Yuan::ZERO).to_string(), "0.00", "zero has no sign");
        assert_eq!((y("1") - y("1")).to_string(), "0.00");
    }

    #[test]
    fn arithmetic_is_exact() {
        assert_eq!(y("0.10") + y("0.20"), y("0.30"), "no float rounding");
        let mut a = y("10");
        a += y("2.5");
        a -= y("0.01");
        assert_eq!(a, y("12.49"));
        let total: Yuan = [y("1.11"), y("2.22")].iter().sum();
        assert_eq!(total, y("3.33"));
        let total: Yuan = vec![y("1.11"), y("2.22")].into_iter().sum();
        assert_eq!(total, y("3.33"));
        assert_eq!((y("1") - y("3")).abs(), y("2"));
        assert!((y("1") - y("3")).is_negative());
        assert!(y("0.01").is_positive() && !Yuan::ZERO.is_positive() && Yuan::ZERO.is_zero());
        assert_eq!(y("1").min(y("2")), y("1"));
        assert_eq!(y("1").max(y("2")), y("2"));
        assert_eq!(Yuan::MAX + y("1"), Yuan::MAX, "arithmetic stops at the bound instead of panicking");
        assert_eq!(Yuan::MIN - y("1"), Yuan::MIN);
        assert_eq!(Yuan::MAX.fen(), i64::MAX, "fen is exact at the bound");
        assert_eq!(Yuan::MIN.fen(), -i64::MAX);
        assert_eq!(Yuan::from_fen(i64::MIN), Yuan::MIN, "the one i64 outside the symmetric range");
    }

    #[test]
    fn json_is_a_string() {
        let amount = y("12.3");
        assert_eq!(serde_json::to_string(&amount).unwrap(), "\"12.30\"");
        assert_eq!(serde_json::from_str::<Yuan>("\"12.30\"").unwrap(), amount);
        assert!(serde_json::from_str::<Yuan>("12.30").is_err(), "a JSON number is not money");
        assert!(serde_json::from_str::<Yuan>("\"12.345\"").is_err());
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(fen in 0i64..=99_999_999_999_999) {
            let amount = Yuan::from_fen(fen);
            prop_assert_eq!(Yuan::parse(&amount.to_string()), Ok(amount));
            prop_assert_eq!(Yuan::from_fen(amount.fen()), amount);
            prop_assert_eq!(amount.fen(), fen);
        }

        #[test]
        fn words_are_well_formed(fen in 0i64..=99_999_999_999_999) {
            let words = Yuan::from_fen(fen).words();
            prop_assert!(words.starts_with("人民币"), "{}", words);
            prop_assert!(!words.contains("零零"), "{}", words);
            prop_assert!(!words.ends_with('零'), "{}", words);
            prop_assert!(!words.ends_with("分整"), "{}", words);
            prop_assert_eq!(words.contains('整'), fen % 10 == 0, "整 iff no fen: {}", words);
        }

        #[test]
        fn json_round_trip(fen in 0i64..=99_999_999_999_999) {
            let amount = Yuan::from_fen(fen);
            let json = serde_json::to_string(&amount).unwrap();
            prop_assert!(json.starts_with('"') && json.ends_with('"'), "{}", json);
            prop_assert_eq!(serde_json::from_str::<Yuan>(&json).unwrap(), amount);
        }

        #[test]
        fn from_fen_and_fen_are_inverse(fen in (-i64::MAX)..=i64::MAX) {
            prop_assert_eq!(Yuan::from_fen(fen).fen(), fen);
        }
    }
}
