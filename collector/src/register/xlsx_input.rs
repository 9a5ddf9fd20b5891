//! Workbooks (xlsx, xlsm, xls, ods) to one [`Table`] per sheet, through calamine.

use super::table::{Cell, Record, Table};
use super::Diagnostic;
use calamine::{open_workbook_auto_from_rs, Data, Reader};
use std::io::Cursor;

/// Reads every sheet. Which sheets hold a register is decided by the row builder (a sheet
/// needs a recognizable header), because Pantau's own export has one sheet per OPD.
pub fn read(name: &str, bytes: &[u8]) -> Result<Vec<Table>, Diagnostic> {
    let error = |message: String| Diagnostic {
        file: name.to_string(),
        line: 0,
        column: 0,
        column_name: None,
        message,
    };
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| error(format!("not a readable workbook: {e}")))?;
    let mut tables = Vec::new();
    for sheet in workbook.sheet_names() {
        let range = workbook
            .worksheet_range(&sheet)
            .map_err(|e| error(format!("sheet {sheet:?} is unreadable: {e}")))?;
        let label = format!("{name}[{sheet}]");
        let Some((top, left)) = range.start() else {
            tables.push(Table {
                label,
                records: Vec::new(),
            });
            continue;
        };
        let records = range
            .rows()
            .enumerate()
            .map(|(i, row)| Record {
                line: top as usize + i + 1,
                first_column: left as usize + 1,
                cells: row.iter().map(cell).collect(),
            })
            .collect();
        tables.push(Table { label, records });
    }
    Ok(tables)
}

fn cell(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Int(*i),
        Data::Float(f) => Cell::Float(*f),
        Data::Bool(b) => Cell::Text(if *b { "TRUE" } else { "FALSE" }.into()),
        Data::DateTime(dt) if dt.is_datetime() => Cell::Date {
            year: i32::from(dt.to_ymd_hms_milli().0),
        },
        Data::DateTime(dt) => Cell::Float(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}
