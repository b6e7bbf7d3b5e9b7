//! Maps byte offsets of a TOML document to line, column and the dotted key a user wrote.

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineColumn {
    pub line: usize,
    pub column: usize,
}

/// Line and column (1-based, column in characters) of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> LineColumn {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text
        .get(line_start..offset)
        .map_or(1, |s| s.chars().count() + 1);
    LineColumn { line, column }
}

/// The table a byte offset belongs to, as the user would name it: `suite`, `container`,
/// `benchmark[2]` (1-based, in file order), or empty for the top level.
pub fn table_at(text: &str, offset: usize) -> String {
    let mut table = String::new();
    let mut array_counts: Vec<(String, usize)> = Vec::new();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if pos > offset {
            break;
        }
        let trimmed = line.trim();
        if let Some(name) = trimmed
            .strip_prefix("[[")
            .and_then(|s| s.split("]]").next())
        {
            let name = name.trim().to_string();
            let count = match array_counts.iter_mut().find(|(n, _)| *n == name) {
                Some((_, c)) => {
                    *c += 1;
                    *c
                }
                None => {
                    array_counts.push((name.clone(), 1));
                    1
                }
            };
            table = format!("{name}[{count}]");
        } else if let Some(name) = trimmed.strip_prefix('[').and_then(|s| s.split(']').next()) {
            let name = name.trim();
            // `[benchmark.load]` belongs to the latest `[[benchmark]]`.
            let parent = array_counts.iter().find_map(|(array, count)| {
                name.strip_prefix(array.as_str())
                    .and_then(|rest| rest.strip_prefix('.'))
                    .map(|rest| format!("{array}[{count}].{rest}"))
            });
            table = parent.unwrap_or_else(|| name.to_string());
        }
        pos += line.len();
    }
    table
}

/// The key assigned on the line holding `offset` (`warmup` in `warmup = "x"`), if any.
pub fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(start..)?.lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    let valid = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    valid.then(|| key.to_string())
}

/// Joins a table and a key into the dotted path shown to users.
pub fn dotted(table: &str, key: &str) -> String {
    match (table.is_empty(), key.is_empty()) {
        (true, _) => key.to_string(),
        (false, true) => table.to_string(),
        (false, false) => format!("{table}.{key}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "[suite]\nname = \"x\"\n\n[[benchmark]]\nname = \"a\"\n\n[[benchmark]]\nname = \"b\"\nprobe = 3\n";

    #[test]
    fn finds_line_and_column() {
        let at = DOC.find("probe").unwrap_or(0);
        assert_eq!(line_column(DOC, at), LineColumn { line: 9, column: 1 });
        assert_eq!(line_column(DOC, 0), LineColumn { line: 1, column: 1 });
    }

    #[test]
    fn names_array_tables_by_position() {
        let at = DOC.find("probe").unwrap_or(0);
        assert_eq!(table_at(DOC, at), "benchmark[2]");
        assert_eq!(table_at(DOC, 9), "suite");
        assert_eq!(key_on_line(DOC, at + 8).as_deref(), Some("probe"));
    }
}
