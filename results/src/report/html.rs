//! Self-contained HTML pages: inline SVG charts beside HTML tables, inline CSS, no
//! scripts and no external resources, so a page reads the same with no network.

use std::fmt::Write;

/// A section of a page.
pub struct Section {
    pub heading: String,
    /// An SVG document to inline.
    pub svg: Option<String>,
    pub table: Option<Table>,
    pub notes: Vec<String>,
}

/// A plain table.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Rows to mark (a regression, a failure).
    pub marked: Vec<bool>,
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:2em;color:#222;max-width:1100px}\
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;font-size:.85em;margin:1em 0}th,td{padding:.25em .6em;border-bottom:1px solid #eee;text-align:right}\
th:first-child,td:first-child{text-align:left}tr.marked td{color:#b00;font-weight:bold}\
.chart svg{max-width:100%;height:auto}.note{color:#555;font-size:.9em}";

/// Renders a page.
pub fn page(title: &str, subtitle: &str, sections: &[Section]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n<p class=\"note\">{}</p>\n",
        escape(title),
        escape(title),
        escape(subtitle)
    );
    for s in sections {
        let _ = writeln!(out, "<h2>{}</h2>", escape(&s.heading));
        if let Some(svg) = &s.svg {
            // Drop the XML prolog, if any, so the SVG embeds as an element.
            let body = svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..]);
            let _ = writeln!(out, "<div class=\"chart\">{body}</div>");
        }
        if let Some(t) = &s.table {
            out.push_str("<table><thead><tr>");
            for h in &t.header {
                let _ = write!(out, "<th>{}</th>", escape(h));
            }
            out.push_str("</tr></thead><tbody>\n");
            for (i, row) in t.rows.iter().enumerate() {
                let class = if t.marked.get(i).copied().unwrap_or(false) {
                    " class=\"marked\""
                } else {
                    ""
                };
                let _ = write!(out, "<tr{class}>");
                for cell in row {
                    let _ = write!(out, "<td>{}</td>", escape(cell));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody></table>\n");
        }
        for n in &s.notes {
            let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(n));
        }
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_text_and_inline_svg() {
        let html = page(
            "a <b> & \"c\"",
            "sub",
            &[Section {
                heading: "h".into(),
                svg: Some("<?xml version=\"1.0\"?>\n<svg width=\"1\"></svg>".into()),
                table: Some(Table {
                    header: vec!["x".into()],
                    rows: vec![vec!["<script>".into()]],
                    marked: vec![true],
                }),
                notes: vec![],
            }],
        );
        assert!(html.contains("a &lt;b&gt; &amp; &quot;c&quot;"));
        assert!(html.contains("<div class=\"chart\"><svg width=\"1\"></svg></div>"));
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
        assert!(html.contains("class=\"marked\""));
        assert!(!html.contains("http://") && !html.contains("https://"));
    }
}
