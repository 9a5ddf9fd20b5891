//! What the CSV and workbook readers hand to the row builder: cells with their place in the
//! file. Spreadsheet cells keep their type, because a number or a date typed in Excel must
//! not be re-read as text (`1234.567` as a float is not "1.234.567" with a thousands dot).

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Float(f64),
    /// A cell the spreadsheet formats as a date; only the year matters to the register.
    Date {
        year: i32,
    },
    /// A spreadsheet error value such as `#N/A`.
    Error(String),
}

impl Cell {
    /// The cell as a person reads it: trimmed, whole numbers without a decimal point, and a
    /// lone `-` (SIMDA's "not applicable") as empty.
    pub fn text(&self) -> String {
        let s = match self {
            Cell::Empty => String::new(),
            // CRLF inside a quoted value depends on who saved the file; keep one form.
            Cell::Text(s) => s
                .replace("\r\n", "\n")
                .replace(['\u{a0}', '\u{202f}'], " ")
                .trim()
                .to_string(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
            Cell::Float(f) => f.to_string(),
            Cell::Date { year } => year.to_string(),
            Cell::Error(e) => e.clone(),
        };
        if matches!(s.as_str(), "-" | "--" | "\u{2013}" | "\u{2014}") {
            String::new()
        } else {
            s
        }
    }

    pub fn is_blank(&self) -> bool {
        !matches!(self, Cell::Error(_)) && self.text().is_empty()
    }
}

/// One line of a CSV file or one row of a sheet.
#[derive(Debug, Clone)]
pub struct Record {
    /// 1-based CSV line where the record starts, or the spreadsheet row number.
    pub line: usize,
    /// 1-based column of `cells[0]` (a sheet's used range may start right of column A).
    pub first_column: usize,
    pub cells: Vec<Cell>,
}

impl Record {
    pub fn column_of(&self, index: usize) -> usize {
        self.first_column + index
    }

    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_blank)
    }
}

/// A CSV file or one sheet of a workbook.
#[derive(Debug, Clone)]
pub struct Table {
    /// How diagnostics name it: `register.csv` or `register.xlsx[Sheet1]`.
    pub label: String,
    pub records: Vec<Record>,
}
