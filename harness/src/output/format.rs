//! Number formatting for people: percentages with a sign, shortened text. Quantities
//! with units come from `calibench_results::format`, shared with the reports.

pub use calibench_results::format::{quantity, significant};

/// `+6.2 %` style.
pub fn percent(p: f64) -> String {
    format!("{p:+.1} %")
}

/// Shortens `text` to `max` characters with an ellipsis.
pub fn truncate(text: &str, max: usize) -> String {
    let one_line = text.replace('\n', " ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_percentages_and_text() {
        assert_eq!(percent(6.24), "+6.2 %");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}
