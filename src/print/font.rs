//! 字体: the one CJK font every document is set in, found on the machine and parsed once.
//!
//! Search order: [`FONT_ENV`] if set (an explicit choice is never silently replaced by another
//! font: a bad path is an error), then WenQuanYi Micro Hei, Noto Sans CJK SC (Debian/Ubuntu,
//! Fedora, Arch paths), then Windows' Microsoft YaHei and SimSun. A face is accepted only if it has
//! Chinese, ASCII digits and Latin letters: Droid Sans Fallback, for one, has no digits and would
//! print every amount as boxes.
//!
//! Without [`FONT_ENV`], the first usable face found is the one documents are set in, and the next
//! usable face in another file is its fallback: a document with a character the first face lacks
//! (a rare character in a name, outside GBK) is set wholly in the fallback ([`CjkFont::for_text`]),
//! so no name prints as boxes while the fallback has it. WenQuanYi comes first because its TrueType
//! outlines subset about twice as fast as Noto's CFF outlines (a receipt in 8 ms rather than 15 ms
//! on the machine measured, README "Measured"); Noto, with the wider coverage, is the fallback.
//!
//! The fallback is parsed the first time a document needs it, not with the first face: a parsed
//! Noto Sans CJK face holds about 26 MB for as long as the app runs, and most counters never print
//! a name WenQuanYi cannot set (docs/desktop-bench.md). Until then only the remaining candidate
//! files are known; the first of them that loads and passes the same check becomes the fallback,
//! once, and a counter where none does prints in the first face (boxes for what it lacks), as it
//! would with one font installed. The parse (a few hundred milliseconds for Noto) moves to the first
//! such document; rendering runs off the async threads, so the counter does not wait on it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use printpdf::ParsedFont;

use super::PrintError;

/// The environment variable that names the font: a path, optionally followed by `#N` to pick face
/// N of a collection (`/opt/fonts/NotoSansCJK-Regular.ttc#2`).
pub const FONT_ENV: &str = "CASHDESK_FONT";

/// Known locations, best first: (path, face index in the collection).
const CANDIDATES: &[(&str, usize)] = &[
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc", 0),
    // Face 2 of the Noto Sans CJK collection is Simplified Chinese (0 = JP, 1 = KR, 3 = TC, 4 = HK).
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    (r"C:\Windows\Fonts\msyh.ttc", 0),
    (r"C:\Windows\Fonts\simsun.ttc", 0),
];

/// Characters a usable face must have: Chinese, digits, Latin letters and the yuan sign.
const REQUIRED: &str = "收据联0123456789ABCZabcz¥";

/// A parsed CJK font face, loaded once at start-up and shared by every rendering.
#[derive(Clone)]
pub struct CjkFont {
    pub(crate) parsed: ParsedFont,
    path: PathBuf,
    face: usize,
    units_per_em: i64,
    /// The face a document this one cannot set goes to, parsed on first need (module docs).
    fallback: Option<Arc<Fallback>>,
}

/// The fallback face: the candidate files it may come from, in order, and the face once parsed
/// (`None` inside when no candidate was usable).
struct Fallback {
    candidates: Vec<(PathBuf, usize)>,
    face: OnceLock<Option<CjkFont>>,
}

impl Fallback {
    fn get(&self) -> Option<&CjkFont> {
        self.face
            .get_or_init(|| {
                self.candidates.iter().find_map(|(path, face)| match CjkFont::load(path, *face) {
                    Ok(font) => Some(font),
                    Err(e) => {
                        tracing::warn!(error = %e, "the fallback font candidate is unusable");
                        None
                    }
                })
            })
            .as_ref()
    }
}

impl fmt::Debug for CjkFont {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The parsed tables are megabytes of noise in a log line.
        f.debug_struct("CjkFont").field("path", &self.path).field("face", &self.face).finish_non_exhaustive()
    }
}

impl CjkFont {
    /// Finds and loads the font as described in the module docs, reading [`FONT_ENV`].
    pub fn locate() -> Result<CjkFont, PrintError> {
        let configured = std::env::var(FONT_ENV).ok();
        CjkFont::locate_from(configured.as_deref().filter(|s| !s.trim().is_empty()))
    }

    /// [`CjkFont::locate`] with the value of [`FONT_ENV`] given (tests do not touch the
    /// process environment).
    pub fn locate_from(configured: Option<&str>) -> Result<CjkFont, PrintError> {
        if let Some(spec) = configured {
            let (path, face) = parse_spec(spec);
            if !Path::new(path).is_file() {
                return Err(PrintError::FontPathInvalid {
                    path: path.to_string(),
                    env: FONT_ENV,
                    reason: "no such file".into(),
                });
            }
            return CjkFont::load(Path::new(path), face);
        }
        let mut last_unusable = None;
        let mut rest = CANDIDATES.iter().filter(|(path, _)| Path::new(path).is_file());
        for &(path, face) in rest.by_ref() {
            match CjkFont::load(Path::new(path), face) {
                Ok(mut first) => {
                    // The fallback comes from another font than the first (the same font under
                    // another path would cover nothing more); parsed when first needed.
                    let candidates: Vec<(PathBuf, usize)> = rest
                        .filter(|&&(p, f)| !(Path::new(p).file_name() == first.path.file_name() && f == first.face))
                        .map(|&(p, f)| (PathBuf::from(p), f))
                        .collect();
                    if !candidates.is_empty() {
                        first.fallback = Some(Arc::new(Fallback { candidates, face: OnceLock::new() }));
                    }
                    return Ok(first);
                }
                Err(e) => last_unusable = Some(e),
            }
        }
        Err(last_unusable.unwrap_or_else(|| PrintError::FontNotFound {
            searched: CANDIDATES.iter().map(|(p, _)| *p).collect::<Vec<_>>().join(", "),
            env: FONT_ENV,
        }))
    }

    /// The face to set `text` in: this one if it has every character of it, else the fallback
    /// when there is one (module docs). Spaces and control characters need no glyph.
    pub fn for_text(&self, text: &str) -> &CjkFont {
        let lacks = |f: &CjkFont| {
            text.chars()
                .any(|c| !c.is_whitespace() && !c.is_control() && f.parsed.lookup_glyph_index(u32::from(c)).is_none())
        };
        if self.fallback.is_none() || !lacks(self) {
            return self;
        }
        self.fallback().unwrap_or(self)
    }

    /// The face to set a document in: [`CjkFont::for_text`] of everything it prints, which is in its
    /// fields (the fixed labels are in every face). A document that cannot be read as text goes to
    /// the face with the wider coverage, so it cannot print boxes for want of looking.
    pub fn for_document(&self, doc: &impl serde::Serialize) -> &CjkFont {
        match serde_json::to_string(doc) {
            Ok(text) => self.for_text(&text),
            Err(_) => self.fallback().unwrap_or(self),
        }
    }

    /// The fallback face, if one is usable: parsed on the first call (module docs).
    pub fn fallback(&self) -> Option<&CjkFont> {
        self.fallback.as_deref().and_then(Fallback::get)
    }

    /// Whether the fallback face has been looked for (parsed, or every candidate found unusable):
    /// only once a document needed it.
    #[cfg(test)]
    fn fallback_loaded(&self) -> bool {
        self.fallback.as_ref().is_some_and(|f| f.face.get().is_some())
    }

    /// Loads face `face` of the font file at `path` and checks that it can print a receipt.
    pub fn load(path: &Path, face: usize) -> Result<CjkFont, PrintError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| PrintError::FontPathInvalid {
            path: shown.clone(),
            env: FONT_ENV,
            reason: e.to_string(),
        })?;
        let unusable = |reason: String| PrintError::FontUnusable { path: shown.clone(), face, reason };
        let parsed = ParsedFont::from_bytes(&bytes, face, &mut Vec::new())
            .ok_or_else(|| unusable("it is not a TrueType/OpenType font, or has no such face".into()))?;
        let missing: String = REQUIRED.chars().filter(|&c| parsed.lookup_glyph_index(u32::from(c)).is_none()).collect();
        if !missing.is_empty() {
            return Err(unusable(format!("it has no glyphs for {missing:?}")));
        }
        let units_per_em = match parsed.pdf_font_metrics.units_per_em {
            0 => 1000,
            n => i64::from(n),
        };
        Ok(CjkFont { parsed, path: path.to_path_buf(), face, units_per_em, fallback: None })
    }

    /// The file the face was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The face index inside the file (0 for a single-face font).
    pub fn face(&self) -> usize {
        self.face
    }

    /// Advance width of `c` in font units; a character the font lacks prints as the `.notdef` box
    /// and is measured as such, so the layout still reserves its space.
    pub(crate) fn advance(&self, c: char) -> i64 {
        let gid = self.parsed.lookup_glyph_index(u32::from(c)).unwrap_or(0);
        i64::from(self.parsed.get_horizontal_advance(gid))
    }

    pub(crate) fn units_per_em(&self) -> i64 {
        self.units_per_em
    }
}

/// Splits `path#N` into the path and face N; without a numeric suffix the face is 0 (a `#` may
/// be part of a file name).
fn parse_spec(spec: &str) -> (&str, usize) {
    let spec = spec.trim();
    match spec.rsplit_once('#') {
        Some((path, n)) if !path.is_empty() => match n.parse::<usize>() {
            Ok(face) => (path, face),
            Err(_) => (spec, 0),
        },
        _ => (spec, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::plain("/f/a.ttf", "/f/a.ttf", 0)]
    #[case::face("/f/a.ttc#2", "/f/a.ttc", 2)]
    #[case::hash_in_name("/f/a#b.ttf", "/f/a#b.ttf", 0)]
    #[case::windows(r"C:\Fonts\msyh.ttc#1", r"C:\Fonts\msyh.ttc", 1)]
    #[case::spaces_trimmed(" /f/a.ttc#3 ", "/f/a.ttc", 3)]
    fn spec_names_path_and_face(#[case] spec: &str, #[case] path: &str, #[case] face: usize) {
        assert_eq!(parse_spec(spec), (path, face), "{spec:?}");
    }

    #[test]
    fn missing_configured_font_is_a_clear_error() {
        let err = CjkFont::locate_from(Some("/nonexistent/NotoSansCJK.ttc#2")).unwrap_err();
        assert_eq!(err.code(), "PRINT_FONT_PATH_INVALID");
        let msg = err.to_string();
        assert!(msg.contains("/nonexistent/NotoSansCJK.ttc") && msg.contains(FONT_ENV), "{msg}");
        assert!(msg.contains("fonts-noto-cjk"), "says what to install: {msg}");
    }

    #[test]
    fn a_file_that_is_not_a_font_is_refused_without_panicking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fake.ttf");
        std::fs::write(&path, b"this is not a font, just text pretending to be one").unwrap();
        let err = CjkFont::locate_from(Some(path.to_str().unwrap())).unwrap_err();
        assert_eq!(err.code(), "PRINT_FONT_UNUSABLE", "{err}");
    }

    #[test]
    fn the_system_font_is_found_and_has_what_a_receipt_needs() {
        let font = CjkFont::locate_from(None).unwrap();
        assert!(font.path().is_file());
        assert!(font.advance('0') > 0 && font.advance('联') > font.advance('1'), "CJK is wider than digits");
    }

    #[test]
    fn a_font_without_digits_is_refused() {
        // Droid Sans Fallback is the classic trap; when it is not installed, a wrong face index
        // of a real collection shows the same refusal path.
        let droid = Path::new("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf");
        if droid.is_file() {
            let err = CjkFont::load(droid, 0).unwrap_err();
            assert_eq!(err.code(), "PRINT_FONT_UNUSABLE", "{err}");
        }
        let font = CjkFont::locate_from(None).unwrap();
        let err = CjkFont::load(font.path(), 99).unwrap_err();
        assert_eq!(err.code(), "PRINT_FONT_UNUSABLE", "face 99 does not exist: {err}");
    }

    #[test]
    fn the_fallback_is_parsed_only_when_a_document_needs_it() {
        let font = CjkFont::locate_from(None).unwrap();
        if font.fallback.is_none() {
            eprintln!("skipped: only one CJK font is installed");
            return;
        }
        assert!(!font.fallback_loaded(), "locating the font parses the first face only");
        assert!(std::ptr::eq(font.for_text("收费收据 0123456789 ¥ 张伟"), &font));
        assert!(!font.fallback_loaded(), "everyday text never parses the fallback");
        let rare = (0x3400u32..0x4DC0)
            .chain(0x20000..0x2A6E0)
            .filter_map(char::from_u32)
            .find(|&c| font.parsed.lookup_glyph_index(u32::from(c)).is_none())
            .unwrap();
        let chosen = font.for_text(&format!("用户{rare}"));
        assert!(font.fallback_loaded(), "a name the first face cannot set parses it");
        assert_ne!(chosen.path(), font.path(), "and is set in it");
        assert!(std::ptr::eq(font.fallback().unwrap(), chosen), "parsed once, then kept");
    }

    #[test]
    fn an_explicit_face_is_honoured() {
        let noto = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
        if Path::new(noto).is_file() {
            let font = CjkFont::locate_from(Some(&format!("{noto}#2"))).unwrap();
            assert_eq!(font.face(), 2);
        } else {
            eprintln!("skipped: {noto} not installed");
        }
    }
}
