//! Quantities for people: a time in seconds gets the SI prefix that shows four
//! significant digits; the one formatter of tables, markdown and chart axes.

/// The scale and suffix that show a time of `max_seconds` (seconds) in 1–999 units.
pub fn time_unit(max_seconds: f64) -> (f64, &'static str) {
    if max_seconds >= 1.0 {
        (1.0, "s")
    } else if max_seconds >= 1e-3 {
        (1e3, "ms")
    } else if max_seconds >= 1e-6 {
        (1e6, "µs")
    } else {
        (1e9, "ns")
    }
}

/// Formats `value` in `unit`; seconds get an SI prefix so four digits show.
pub fn quantity(value: f64, unit: &str) -> String {
    if unit != "s" {
        return format!("{} {unit}", significant(value));
    }
    let (scale, suffix) = time_unit(value.abs());
    format!("{} {suffix}", significant(value * scale))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times() {
        assert_eq!(quantity(0.2013, "s"), "201.3 ms");
        assert_eq!(quantity(2.5, "s"), "2.500 s");
        assert_eq!(quantity(0.000_012_34, "s"), "12.34 µs");
        assert_eq!(quantity(3.2, "GB/s"), "3.200 GB/s");
        assert_eq!(time_unit(0.5), (1e3, "ms"));
    }
}
