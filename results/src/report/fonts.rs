//! Text needs a real font to be measured and drawn (plotters' ab_glyph backend). The
//! DejaVu fonts from Debian's fonts-dejavu-core are loaded once at first use.

use std::sync::OnceLock;

use plotters::style::{register_font, FontStyle};

use super::ReportError;

const CANDIDATES: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
];

/// Registers `sans-serif`; an error names where it looked.
pub fn ensure_font() -> Result<(), ReportError> {
    static LOADED: OnceLock<Result<(), String>> = OnceLock::new();
    LOADED
        .get_or_init(|| {
            let path = std::env::var("CALIBENCH_FONT")
                .ok()
                .into_iter()
                .chain(CANDIDATES.iter().map(|s| s.to_string()))
                .find(|p| std::path::Path::new(p).is_file())
                .ok_or_else(|| format!("looked in {}", CANDIDATES.join(", ")))?;
            let bytes = std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?;
            // The font lives as long as the process: plotters keeps a &'static reference.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            register_font("sans-serif", FontStyle::Normal, bytes)
                .map_err(|_| format!("{path} is not a usable TrueType font"))?;
            register_font("sans-serif", FontStyle::Bold, bytes)
                .map_err(|_| format!("{path} is not a usable TrueType font"))
        })
        .clone()
        .map_err(ReportError::Font)
}
