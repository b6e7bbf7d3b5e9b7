//! Number formatting for people: times with the right unit, percentages with a sign.

/// Formats `value` in `unit`; seconds get an SI prefix so four digits show.
pub fn quantity(value: f64, unit: &str) -> String {
    if unit != "s" {
        return format!("{} {unit}", significant(value));
    }
    let abs = value.abs();
    let (scaled, suffix) = if abs >= 1.0 {
        (value, "s")
    } else if abs >= 1e-3 {
        (value * 1e3, "ms")
    } else if abs >= 1e-6 {
        (value * 1e6, "µs")
    } else {
        (value * 1e9, "ns")
    };
    format!("{} {suffix}", significant(scaled))
}

/// Four significant digits, no exponent for ordinary magnitudes.
pub fn significant(v: f64) -> String {
    let abs = v.abs();
    if abs >= 1000.0 {
        format!("{v:.0}")
    } else if abs >= 100.0 {
        format!("{v:.1}")
    } else if abs >= 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

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
    fn formats_times() {
        assert_eq!(quantity(0.2013, "s"), "201.3 ms");
        assert_eq!(quantity(2.5, "s"), "2.500 s");
        assert_eq!(quantity(0.000_012_34, "s"), "12.34 µs");
        assert_eq!(quantity(3.2, "GB/s"), "3.200 GB/s");
        assert_eq!(percent(6.24), "+6.2 %");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}
