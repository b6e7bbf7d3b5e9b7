//! Drawing charts with plotters onto SVG or PNG backends.

use std::path::Path;

use plotters::coord::ranged1d::SegmentValue;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::fonts::ensure_font;
use super::{BoxChart, Chart, HistoryChart, IntervalChart, ReportError};

const FONT: &str = "sans-serif";
/// Host, container, adjusted.
const SERIES_COLOURS: [RGBColor; 3] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
];
const ALARM: RGBColor = RGBColor(214, 39, 40);
const LABEL_CHARS: usize = 48;

fn err<E: std::fmt::Display>(e: E) -> ReportError {
    ReportError::Draw(e.to_string())
}

/// Renders `chart` to an SVG document.
pub fn render_svg(chart: &Chart) -> Result<String, ReportError> {
    ensure_font()?;
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, chart.size()).into_drawing_area();
        draw(chart, &root)?;
        root.present().map_err(err)?;
    }
    Ok(buf)
}

/// Renders `chart` to a PNG file.
pub fn render_png(chart: &Chart, path: &Path) -> Result<(), ReportError> {
    ensure_font()?;
    let root = BitMapBackend::new(path, chart.size()).into_drawing_area();
    draw(chart, &root)?;
    root.present().map_err(err)
}

fn draw<DB: DrawingBackend>(
    chart: &Chart,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), ReportError> {
    root.fill(&WHITE).map_err(err)?;
    match chart {
        Chart::Interval(c) => draw_intervals(c, root),
        Chart::Box(c) => draw_boxes(c, root),
        Chart::History(c) => draw_history(c, root),
    }
}

/// Shortens long labels so they never run into the plot, keeping both ends: names
/// of a family usually differ at the end ("…-001", "… · docker").
fn short(label: &str) -> String {
    let chars: Vec<char> = label.chars().collect();
    if chars.len() <= LABEL_CHARS {
        return label.to_string();
    }
    let head = (LABEL_CHARS - 1) / 2;
    let tail = LABEL_CHARS - 1 - head;
    let start: String = chars[..head].iter().collect();
    let end: String = chars[chars.len() - tail..].iter().collect();
    format!("{start}…{end}")
}

fn label_area(labels: &[String]) -> u32 {
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(4) as u32;
    (longest * 8 + 16).clamp(60, 420)
}

/// Lower and upper bounds with 6 % padding, never empty.
fn padded(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() || !hi.is_finite() {
        return None;
    }
    let span = (hi - lo).max(hi.abs().max(1e-12) * 0.02);
    Some((lo - span * 0.06, hi + span * 0.06))
}

/// Upper end of the category range: `0..k` segments into k + 1 rows, and an empty
/// range cannot be drawn, so a single row keeps one empty row above it.
fn last_row(rows: i32) -> i32 {
    (rows - 1).max(1)
}

/// Axis numbers with as many decimals as the span needs (no "100.0" for whole steps).
fn number_label(span: f64) -> impl Fn(&f64) -> String {
    let decimals = if span >= 20.0 {
        0
    } else if span >= 2.0 {
        1
    } else {
        2
    };
    move |v| format!("{v:.decimals$}")
}

fn segment_label(labels: &[String]) -> impl Fn(&SegmentValue<i32>) -> String + '_ {
    move |v| match v {
        SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

fn draw_intervals<DB: DrawingBackend>(
    c: &IntervalChart,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), ReportError> {
    if c.rows.is_empty() {
        return Err(ReportError::Empty(c.title.clone()));
    }
    let n = c.rows.len() as i32;
    // Row 0 is drawn at the top.
    let labels: Vec<String> = c.rows.iter().rev().map(|r| short(&r.label)).collect();
    let (lo, hi) = padded(
        c.rows
            .iter()
            .flat_map(|r| [r.low, r.high, r.estimate])
            .chain(c.reference_lines.iter().map(|(x, _)| *x)),
    )
    .ok_or_else(|| ReportError::Empty(format!("{}: no finite values", c.title)))?;
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, (FONT, 20))
        .margin(14)
        .x_label_area_size(48)
        .y_label_area_size(label_area(&labels))
        .build_cartesian_2d(lo..hi, (0..last_row(n)).into_segmented())
        .map_err(err)?;
    let formatter = segment_label(&labels);
    let numbers = number_label(hi - lo);
    // Reference lines are named in the axis description, where they cannot cover data.
    let names: Vec<String> = c
        .reference_lines
        .iter()
        .map(|(x, n)| format!("{n} at {}", numbers(x)))
        .collect();
    let x_desc = if names.is_empty() {
        c.x_label.clone()
    } else {
        format!("{}   |   lines: {}", c.x_label, names.join(", "))
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(labels.len())
        .y_label_formatter(&formatter)
        .x_label_formatter(&numbers)
        .x_desc(x_desc)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()
        .map_err(err)?;
    // The first line (zero) in grey, any further one (a threshold) in the alarm colour.
    for (i, (x, _)) in c.reference_lines.iter().enumerate() {
        let style = if i == 0 {
            ShapeStyle::from(&BLACK.mix(0.6)).stroke_width(1)
        } else {
            ALARM.mix(0.8).stroke_width(2)
        };
        chart
            .draw_series(LineSeries::new(
                [(*x, SegmentValue::Exact(0)), (*x, SegmentValue::Last)],
                style,
            ))
            .map_err(err)?;
    }
    for (i, row) in c.rows.iter().enumerate() {
        let key = SegmentValue::CenterOf(n - 1 - i as i32);
        let colour = if row.highlight {
            ALARM
        } else {
            SERIES_COLOURS[0]
        };
        chart
            .draw_series([ErrorBar::new_horizontal(
                key.clone(),
                row.low,
                row.estimate,
                row.high,
                colour.stroke_width(2),
                10,
            )])
            .map_err(err)?;
        chart
            .draw_series([Circle::new((row.estimate, key), 4, colour.filled())])
            .map_err(err)?;
    }
    Ok(())
}

fn draw_boxes<DB: DrawingBackend>(
    c: &BoxChart,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), ReportError> {
    let rows: Vec<_> = c.rows.iter().filter(|r| !r.values.is_empty()).collect();
    if rows.is_empty() {
        return Err(ReportError::Empty(c.title.clone()));
    }
    let n = rows.len() as i32;
    let labels: Vec<String> = rows.iter().rev().map(|r| short(&r.label)).collect();
    let (lo, hi) = padded(rows.iter().flat_map(|r| r.values.iter().copied()))
        .ok_or_else(|| ReportError::Empty(format!("{}: no finite values", c.title)))?;
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, (FONT, 20))
        .margin(14)
        .x_label_area_size(48)
        .y_label_area_size(label_area(&labels))
        .build_cartesian_2d(lo as f32..hi as f32, (0..last_row(n)).into_segmented())
        .map_err(err)?;
    let formatter = segment_label(&labels);
    let numbers = |v: &f32| number_label(hi - lo)(&f64::from(*v));
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(labels.len())
        .y_label_formatter(&formatter)
        .x_label_formatter(&numbers)
        .x_desc(&c.x_label)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()
        .map_err(err)?;
    for (i, row) in rows.iter().enumerate() {
        let key = SegmentValue::CenterOf(n - 1 - i as i32);
        let colour = SERIES_COLOURS[row.series.min(2)];
        let quartiles = Quartiles::new(&row.values);
        chart
            .draw_series([Boxplot::new_horizontal(key.clone(), &quartiles)
                .width(12)
                .style(colour.stroke_width(2))])
            .map_err(err)?;
        chart
            .draw_series(
                row.values
                    .iter()
                    .map(|v| Circle::new((*v as f32, key.clone()), 2, colour.mix(0.35).filled())),
            )
            .map_err(err)?;
    }
    // Row labels name the series ("· host", "· docker", "· adjusted"): no legend that
    // could cover data.
    Ok(())
}

fn draw_history<DB: DrawingBackend>(
    c: &HistoryChart,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), ReportError> {
    let points: Vec<_> = c.series.iter().flat_map(|(_, p)| p.iter()).collect();
    if points.is_empty() {
        return Err(ReportError::Empty(c.title.clone()));
    }
    let s = c.y_scale;
    let (y_lo, y_hi) = padded(points.iter().flat_map(|p| [p.low * s, p.high * s]))
        .ok_or_else(|| ReportError::Empty(format!("{}: no finite values", c.title)))?;
    let t_lo = points.iter().map(|p| p.at).min().unwrap_or_default();
    let t_hi = points.iter().map(|p| p.at).max().unwrap_or_default();
    // A single instant still needs a width.
    let (t_lo, t_hi) = if t_hi <= t_lo {
        (
            t_lo - chrono::Duration::minutes(30),
            t_hi + chrono::Duration::minutes(30),
        )
    } else {
        let pad = (t_hi - t_lo) / 20;
        (t_lo - pad, t_hi + pad)
    };
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, (FONT, 20))
        .margin(14)
        .x_label_area_size(48)
        .y_label_area_size(80)
        .build_cartesian_2d(t_lo..t_hi, y_lo..y_hi)
        .map_err(err)?;
    let time_fmt = |t: &chrono::DateTime<chrono::Utc>| t.format("%m-%d %H:%M").to_string();
    chart
        .configure_mesh()
        .x_labels(8)
        .x_label_formatter(&time_fmt)
        .x_desc("run time (UTC)")
        .y_desc(&c.y_label)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()
        .map_err(err)?;
    for (i, (name, pts)) in c.series.iter().enumerate() {
        let colour = SERIES_COLOURS[i % 3];
        let mut band: Vec<(chrono::DateTime<chrono::Utc>, f64)> =
            pts.iter().map(|p| (p.at, p.high * s)).collect();
        band.extend(pts.iter().rev().map(|p| (p.at, p.low * s)));
        chart
            .draw_series([Polygon::new(band, colour.mix(0.18).filled())])
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                pts.iter().map(|p| (p.at, p.median * s)),
                colour.stroke_width(2),
            ))
            .map_err(err)?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(2)));
        chart
            .draw_series(
                pts.iter()
                    .map(|p| Circle::new((p.at, p.median * s), 3, colour.filled())),
            )
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 12))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_labels_keep_both_ends() {
        let l = short("a-rather-long-benchmark-name-that-describes-everything-007 · docker");
        assert_eq!(l.chars().count(), LABEL_CHARS);
        assert!(
            l.starts_with("a-rather-long") && l.ends_with("-007 · docker"),
            "{l}"
        );
        assert_eq!(short("short"), "short");
    }
}
