//! The one way parwf prints a table of documents: columns as wide as their widest cell (at
//! least their minimum), two spaces apart, the last column unpadded.

/// A column: its header, minimum width, and alignment.
#[derive(Debug, Clone, Copy)]
pub struct Col {
    pub name: &'static str,
    pub min: usize,
    pub right: bool,
}

impl Col {
    pub const fn left(name: &'static str, min: usize) -> Col {
        Col {
            name,
            min,
            right: false,
        }
    }

    pub const fn right(name: &'static str, min: usize) -> Col {
        Col {
            name,
            min,
            right: true,
        }
    }
}

/// One row: its cells, and an optional note printed under it, indented past the first column.
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

/// The table, header first, every line ending in a newline.
pub fn render(cols: &[Col], rows: &[Row]) -> String {
    render_painted(cols, rows, |_, _, padded| padded)
}

/// The table with each body cell passed through `paint(column, text, padded text)` after it is
/// padded, so colour codes never count towards a column's width.
pub fn render_painted(
    cols: &[Col],
    rows: &[Row],
    paint: impl Fn(usize, &str, String) -> String,
) -> String {
    let width = |i: usize, c: &Col| {
        rows.iter()
            .filter_map(|r| r.cells.get(i))
            .map(|s| s.chars().count())
            .chain([c.min, c.name.len()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = cols.iter().enumerate().map(|(i, c)| width(i, c)).collect();
    let line = |cells: &mut dyn Iterator<Item = &str>, body: bool| {
        let mut out = String::new();
        for (i, (cell, col)) in cells.zip(cols).enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            let w = widths[i];
            let padded = if i + 1 == cols.len() {
                cell.to_string()
            } else if col.right {
                format!("{cell:>w$}")
            } else {
                format!("{cell:w$}")
            };
            out.push_str(&if body { paint(i, cell, padded) } else { padded });
        }
        out.push('\n');
        out
    };
    let mut out = line(&mut cols.iter().map(|c| c.name), false);
    for r in rows {
        out.push_str(&line(&mut r.cells.iter().map(String::as_str), true));
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
}
