//! 金额: how amounts are printed. Money is [`Yuan`] to the last step and is printed from its
//! decimal string, never through a float: `¥1,234.50` (yuan sign, thousands grouped, always two
//! decimals, a leading `-` for a negative amount), and in 大写 words from [`Yuan::words`].

use super::super::layout::{Ink, Len, fit, mm, text_width};
use super::Pen;
use super::block::Block;
use super::paper::{LEADING, line_height};
use crate::money::Yuan;

/// `¥1,234.50`: every printed amount.
pub(crate) fn money(y: Yuan) -> String {
    let s = y.to_string();
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", s.as_str()),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}¥{grouped}.{frac}")
}

impl Pen<'_> {
    /// The total at the bottom of `b`, across the content width: `合计（大写）：` and the words
    /// (wrapping onto a second line if need be) on the left, `（小写）` and the figures on the
    /// right, the biggest type on the sheet after the title; a rule under it.
    pub fn total(&self, b: &mut Block, total: Yuan) {
        let (style, font) = (&self.style, self.font);
        let size: Len = style.body * 115 / 100;
        let top = b.height + mm(1);
        let figures = money(total);
        let label = "合计（大写）：";
        b.text(style.left(), top, style.body, label);
        let words_x = style.left() + text_width(font, label, style.body);
        let figures_label = "（小写）";
        let figures_width = text_width(font, figures_label, style.body) + text_width(font, &figures, size);
        let words = fit(font, &total.words(), style.right() - figures_width - mm(4) - words_x, &[size, style.body], 2);
        b.lines_with(words_x, top, &words, LEADING, Ink::Heavy);
        let fx = style.right() - figures_width;
        b.text(fx, top, style.body, figures_label);
        b.heavy(fx + text_width(font, figures_label, style.body), top + style.body - size, size, figures);
        b.height = top + words.height(LEADING).max(line_height(size)) + mm(1);
        b.hline(style.left(), style.right(), b.height, 20);
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::layout::Draw;
    use super::super::paper::Style;
    use super::*;
    use crate::print::testing::font;

    #[test]
    fn the_total_prints_in_figures_and_words_inside_the_margins() {
        let pen = Pen { font: font(), style: Style::A5 };
        let mut b = Block::default();
        let total = Yuan::parse("999999999999.99").unwrap();
        pen.total(&mut b, total);
        let texts: Vec<&str> = b
            .items
            .iter()
            .filter_map(|d| match d {
                Draw::Text { x, size, text, .. } => {
                    assert!(x + text_width(font(), text, *size) <= pen.style.right(), "{text:?} runs off");
                    Some(text.as_str())
                }
                _ => None,
            })
            .collect();
        assert!(texts.contains(&"¥999,999,999,999.99"), "{texts:?}");
        assert_eq!(texts.concat().matches('仟').count(), total.words().matches('仟').count(), "the words, whole");
    }
}
