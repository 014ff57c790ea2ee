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

/// `cell` with control characters escaped: a file name with a newline stays on its row.
fn one_line(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.chars().any(char::is_control) {
        std::borrow::Cow::Owned(cell.chars().flat_map(char::escape_default).collect())
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// The table, header first, every line ending in a newline.
pub fn render(cols: &[Col], rows: &[Row]) -> String {
    let rows: Vec<Row> = rows
        .iter()
        .map(|r| Row {
            cells: r.cells.iter().map(|c| one_line(c).into_owned()).collect(),
            note: r.note.as_deref().map(|n| one_line(n).into_owned()),
        })
        .collect();
    let rows = &rows[..];
    let width = |i: usize, c: &Col| {
        rows.iter()
            .filter_map(|r| r.cells.get(i))
            .map(|s| s.chars().count())
            .chain([c.min, c.name.len()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = cols.iter().enumerate().map(|(i, c)| width(i, c)).collect();
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut out = String::new();
        for (i, (cell, col)) in cells.zip(cols).enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            let w = widths[i];
            if i + 1 == cols.len() {
                out.push_str(cell);
            } else if col.right {
                out.push_str(&format!("{cell:>w$}"));
            } else {
                out.push_str(&format!("{cell:w$}"));
            }
        }
        out.push('\n');
        out
    };
    let mut out = line(&mut cols.iter().map(|c| c.name));
    for r in rows {
        out.push_str(&line(&mut r.cells.iter().map(String::as_str)));
        if let Some(note) = &r.note {
            out.push_str(&format!("{:w$}  {note}\n", "", w = widths[0]));
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
