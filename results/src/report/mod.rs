//! Pictures of results: charts (plotters, SVG or PNG) and self-contained HTML pages with
//! the charts inline beside their tables. Every drawing function returns `Result`.

pub mod build;
mod draw;
mod fonts;
pub mod html;
pub mod pages;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

pub use draw::{render_png, render_svg};

/// Errors of reports.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("PNG output needs a TrueType font and none was found ({0}); install fonts-dejavu-core, or write .svg or .html")]
    Font(String),
    #[error("unsupported output `{0}`: use a file ending in .html, .svg or .png")]
    Format(String),
    #[error("nothing to draw: {0}")]
    Empty(String),
}

/// The file kinds a report can be written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    Html,
    Svg,
    Png,
}

impl OutputKind {
    pub fn from_path(path: &Path) -> Result<Self, ReportError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("html") | Some("htm") => Ok(Self::Html),
            Some("svg") => Ok(Self::Svg),
            Some("png") => Ok(Self::Png),
            _ => Err(ReportError::Format(path.display().to_string())),
        }
    }
}

/// One row of an interval chart: an estimate with its confidence interval.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalRow {
    pub label: String,
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
    /// Drawn in the alarm colour (a regression, a significant overhead).
    pub highlight: bool,
}

/// Estimates with error bars, one row per item, and labelled vertical reference lines.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalChart {
    pub title: String,
    /// The x axis, with its unit.
    pub x_label: String,
    pub rows: Vec<IntervalRow>,
    pub reference_lines: Vec<(f64, String)>,
}

/// One row of a distribution chart.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxRow {
    pub label: String,
    pub values: Vec<f64>,
    /// 0 host, 1 container, 2 adjusted.
    pub series: usize,
}

/// Box plots with the raw points, one row per benchmark and runtime.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxChart {
    pub title: String,
    pub x_label: String,
    pub rows: Vec<BoxRow>,
}

/// One point of a history: a run's median and its interval.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPoint {
    pub at: DateTime<Utc>,
    pub label: String,
    pub median: f64,
    pub low: f64,
    pub high: f64,
}

/// Medians over time with their CI as a band, one series per runtime.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryChart {
    pub title: String,
    pub y_label: String,
    /// Multiply stored values (seconds) by this to get the y axis unit.
    pub y_scale: f64,
    pub series: Vec<(String, Vec<HistoryPoint>)>,
}

/// A chart of any kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    Interval(IntervalChart),
    Box(BoxChart),
    History(HistoryChart),
}

impl Chart {
    /// Pixel size: rows get a fixed height so 1 row and 100 rows both stay legible.
    pub fn size(&self) -> (u32, u32) {
        let rows = match self {
            Chart::Interval(c) => c.rows.len(),
            Chart::Box(c) => c.rows.len(),
            Chart::History(_) => return (1000, 480),
        };
        (1000, (110 + 24 * rows as u32).max(240))
    }
}

/// Writes `chart` as SVG or PNG according to `path`'s extension.
pub fn write_chart(chart: &Chart, path: &Path) -> Result<(), ReportError> {
    match OutputKind::from_path(path)? {
        OutputKind::Svg => {
            let svg = render_svg(chart)?;
            std::fs::write(path, svg).map_err(|source| ReportError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
        OutputKind::Png => render_png(chart, path),
        OutputKind::Html => Err(ReportError::Format(format!(
            "{} (a single chart is written as .svg or .png)",
            path.display()
        ))),
    }
}
