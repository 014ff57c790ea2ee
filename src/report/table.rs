//! The one way parwf prints a table of documents: columns as wide as their widest cell (at
//! least their minimum, at most their maximum), two spaces apart, the last column unpadded.
//! A first-column cell wider than its maximum (a long ID) gets a line of its own, so one long
//! ID does not push every row past the terminal's edge; on a terminal, the last column (a
//! path) is shortened from the left to fit its width.

use super::style::visible_width;

/// A column: its header, minimum and maximum width, and alignment.
#[derive(Debug, Clone, Copy)]
pub struct Col {
    pub name: &'static str,
    pub min: usize,
    /// 0: as wide as its widest cell.
    pub max: usize,
    pub right: bool,
}

impl Col {
    pub const fn left(name: &'static str, min: usize) -> Col {
        Col {
            name,
            min,
            max: 0,
            right: false,
        }
    }

    pub const fn right(name: &'static str, min: usize) -> Col {
        Col {
            name,
            min,
            max: 0,
            right: true,
        }
    }

    /// At most `max` columns wide (only the first column's longer cells move to a line of
    /// their own; others stretch their row).
    pub const fn max(self, max: usize) -> Col {
        Col { max, ..self }
    }
}

/// One row: its cells, and an optional note printed under it (one line per line of it),
/// indented past the first column.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub cells: Vec<String>,
    pub note: Option<String>,
}

impl Row {
    pub fn new(cells: Vec<String>) -> Row {
        Row { cells, note: None }
    }
}

/// `cell` with control characters escaped: a file name with a newline stays on its row.
/// (ANSI colour sequences are the caller's and stay.)
fn one_line(cell: &str) -> String {
    cell.chars()
        .flat_map(|c| {
            let keep = !c.is_control() || c == '\x1b';
            let escaped: Vec<char> = if keep {
                vec![c]
            } else {
                c.escape_default().collect()
            };
            escaped
        })
        .collect()
}

/// `path` shortened to `room` columns: leading directories go first
/// (`…/drafts/spec-0088-readiness.md`), then the end of a file name too long on its own
/// (`…/LLD-001-a-rather-long-na…`), so what is left is what tells documents apart.
fn fit_path(path: &str, room: usize) -> String {
    let width = |s: &str| s.chars().count();
    if width(path) <= room || room < 8 {
        return path.to_string();
    }
    let parts: Vec<&str> = path.split('/').collect();
    for start in 1..parts.len() {
        let tail = format!("…/{}", parts[start..].join("/"));
        if width(&tail) <= room {
            return tail;
        }
    }
    let name = parts.last().copied().unwrap_or(path);
    let kept: String = name.chars().take(room - 3).collect();
    format!("…/{kept}…")
}

/// The table, header first, every line ending in a newline.
pub fn render(cols: &[Col], rows: &[Row]) -> String {
    render_within(cols, rows, None)
}

/// The table, fitted to a terminal `width` columns wide when there is one.
pub fn render_within(cols: &[Col], rows: &[Row], width: Option<usize>) -> String {
    let rows: Vec<Row> = rows
        .iter()
        .map(|r| Row {
            cells: r.cells.iter().map(|c| one_line(c)).collect(),
            // A note may run over several lines (an error, then a hint): each is kept whole.
            note: r
                .note
                .as_deref()
                .map(|n| n.lines().map(one_line).collect::<Vec<_>>().join("\n")),
        })
        .collect();
    let fits =
        |i: usize, cell: &str| cols[i].max == 0 || i > 0 || visible_width(cell) <= cols[i].max;
    let widths: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            rows.iter()
                .filter_map(|r| r.cells.get(i))
                .filter(|cell| fits(i, cell))
                .map(|s| visible_width(s))
                .chain([c.min, c.name.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let lead: usize = widths[..cols.len().saturating_sub(1)]
        .iter()
        .map(|w| w + 2)
        .sum();
    let line = |cells: &[&str]| {
        let mut out = String::new();
        for (i, (cell, col)) in cells.iter().zip(cols).enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            let pad = widths[i].saturating_sub(visible_width(cell));
            if i + 1 == cols.len() {
                match width {
                    Some(w) => out.push_str(&fit_path(cell, w.saturating_sub(lead))),
                    None => out.push_str(cell),
                }
            } else if col.right {
                out.push_str(&" ".repeat(pad));
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.push_str(&" ".repeat(pad));
            }
        }
        out.push('\n');
        out
    };
    let header: Vec<&str> = cols.iter().map(|c| c.name).collect();
    let mut out = line(&header);
    for r in &rows {
        let mut cells: Vec<&str> = r.cells.iter().map(String::as_str).collect();
        if let Some(first) = cells.first_mut() {
            if !fits(0, first) {
                out.push_str(first);
                out.push('\n');
                *first = "";
            }
        }
        out.push_str(&line(&cells));
        if let Some(note) = &r.note {
            for line in note.lines() {
                out.push_str(&format!("{:w$}  {line}\n", "", w = widths[0]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fit_their_widest_cell_and_the_last_is_not_padded() {
        let cols = [Col::left("ID", 2), Col::right("N", 3), Col::left("PATH", 0)];
        let mut row = Row::new(vec!["LLD-1".into(), "7".into(), "a.md".into()]);
        row.note = Some("error: x".into());
        let text = render(
            &cols,
            &[row, Row::new(vec!["X".into(), "10".into(), "b".into()])],
        );
        assert_eq!(
            text,
            "ID       N  PATH\nLLD-1    7  a.md\n       error: x\nX       10  b\n"
        );
    }

    #[test]
    fn a_long_first_cell_takes_its_own_line_and_paths_fit_the_terminal() {
        let cols = [
            Col::left("ID", 2).max(14),
            Col::left("VERDICT", 8),
            Col::left("PATH", 0),
        ];
        let long_id = "ISSUE-a-very-long-idea-name-with-no-number";
        let path = "ideas/active/a-very-long-idea-name-with-no-number-in-it-at-all.md";
        let rows = [
            Row::new(vec![
                "LLD-42".into(),
                "APPROVED".into(),
                "docs/lld/LLD-042.md".into(),
            ]),
            Row::new(vec![
                long_id.into(),
                "\x1b[33mREVISE\x1b[0m".into(),
                path.into(),
            ]),
        ];
        let text = render_within(&cols, &rows, Some(80));
        for l in text.lines() {
            assert!(visible_width(l) <= 80, "{} columns: {l}", visible_width(l));
        }
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "ID      VERDICT   PATH");
        assert_eq!(lines[1], "LLD-42  APPROVED  docs/lld/LLD-042.md");
        assert_eq!(lines[2], long_id);
        assert!(
            lines[3].starts_with("        \x1b[33mREVISE\x1b[0m    …/active/a-very-long-idea"),
            "{}",
            lines[3]
        );
        assert_eq!(
            fit_path("ideas/a-very-long-file-name.md", 20),
            "…/a-very-long-file-…"
        );
        assert_eq!(
            fit_path("docs/lld/drafts/spec-0088.md", 24),
            "…/drafts/spec-0088.md"
        );
        assert_eq!(
            fit_path("docs/lld/drafts/spec-0088.md", 40),
            "docs/lld/drafts/spec-0088.md"
        );
        // Not a terminal: nothing is cut.
        assert!(render(&cols, &rows).contains(path));
    }
}
