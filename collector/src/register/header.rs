//! Finding the header line of a table and mapping its columns to fields.

use super::columns::{header_score, lookup, Field, ALIASES, REQUIRED};
use super::csv_input::HEADER_SEARCH;
use super::table::{Cell, Record, Table};
use super::Diagnostic;

/// The header of one table.
#[derive(Debug)]
pub struct Header {
    /// Per cell index: the field and the header text as written.
    pub columns: Vec<Option<(Field, String)>>,
    /// Index in `records` of the first data record.
    pub data_start: usize,
}

impl Header {
    /// Cell index of the column carrying `field`.
    pub fn index(&self, field: Field) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.as_ref().is_some_and(|(f, _)| *f == field))
    }

    pub fn name(&self, index: usize) -> Option<&str> {
        self.columns.get(index)?.as_ref().map(|(_, n)| n.as_str())
    }
}

/// Finds the header within the first [`HEADER_SEARCH`] records: the first record naming all
/// required columns. Title lines above it are skipped with a warning, and a row of column
/// numbers right below it (`1 2 3 ...`, printed under SIMDA's KIB headers) is skipped too.
pub fn find(
    table: &Table,
    errors: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Header, Diagnostic> {
    let texts = |r: &Record| r.cells.iter().map(Cell::text).collect::<Vec<_>>();
    let mut best: Option<(&Record, (usize, usize))> = None;
    let mut found = None;
    for (i, record) in table.records.iter().take(HEADER_SEARCH).enumerate() {
        let score = header_score(&texts(record));
        if score.0 == REQUIRED.len() {
            found = Some(i);
            break;
        }
        if score.1 > 0 && best.is_none_or(|(_, s)| score > s) {
            best = Some((record, score));
        }
    }
    let diag = |line: usize, column: usize, message: String| Diagnostic {
        file: table.label.clone(),
        line,
        column,
        column_name: None,
        message,
    };
    let Some(at) = found else {
        let wanted = REQUIRED.map(example).join(", ");
        return Err(match best {
            Some((record, _)) => {
                let cells = texts(record);
                let missing: Vec<&str> = REQUIRED
                    .iter()
                    .filter(|f| !cells.iter().any(|c| lookup(c) == Some(**f)))
                    .map(|f| example(*f))
                    .collect();
                diag(
                    record.line,
                    0,
                    format!(
                        "the header on this line lacks required column(s): {}",
                        missing.join(", ")
                    ),
                )
            }
            None => diag(
                0,
                0,
                format!(
                    "no header found in the first {HEADER_SEARCH} lines; a register needs \
                     columns {wanted}"
                ),
            ),
        });
    };
    let record = &table.records[at];
    if let Some(title) = table.records[..at].iter().find(|r| !r.is_blank()) {
        warnings.push(diag(
            title.line,
            0,
            format!("lines above the header (line {}) were skipped", record.line),
        ));
    }
    let mut columns = Vec::with_capacity(record.cells.len());
    for (i, cell) in record.cells.iter().enumerate() {
        let text = cell.text();
        let column = record.column_of(i);
        match lookup(&text) {
            Some(field) => {
                let earlier = columns.iter().position(|c: &Option<(Field, String)>| {
                    field != Field::Ignored && c.as_ref().is_some_and(|(f, _)| *f == field)
                });
                if let Some(j) = earlier {
                    errors.push(diag(
                        record.line,
                        column,
                        format!(
                            "columns {} ({:?}) and {column} ({text:?}) both mean {}; keep one",
                            record.column_of(j),
                            record.cells[j].text(),
                            field.name()
                        ),
                    ));
                }
                columns.push(Some((field, text)));
            }
            None => {
                if !text.is_empty() {
                    warnings.push(diag(
                        record.line,
                        column,
                        format!("column {text:?} is not a register field; ignored"),
                    ));
                }
                columns.push(None);
            }
        }
    }
    let mut data_start = at + 1;
    if let Some(next) = table.records.get(data_start) {
        if is_numbering(next) {
            data_start += 1;
        }
    }
    Ok(Header {
        columns,
        data_start,
    })
}

/// `1 2 3 4 ...` under the header: every non-blank cell is the next column number.
fn is_numbering(record: &Record) -> bool {
    let numbers: Vec<u32> = record
        .cells
        .iter()
        .filter(|c| !c.is_blank())
        .map_while(|c| c.text().parse().ok())
        .collect();
    let filled = record.cells.iter().filter(|c| !c.is_blank()).count();
    numbers.len() == filled && filled >= 3 && numbers.windows(2).all(|w| w[1] == w[0] + 1)
}

/// The alias shown in messages: the first one written the way SIMDA writes it.
fn example(field: Field) -> &'static str {
    ALIASES
        .iter()
        .find(|(f, _)| *f == field)
        .and_then(|(_, names)| names.get(1).or(names.first()))
        .copied()
        .unwrap_or("?")
}
