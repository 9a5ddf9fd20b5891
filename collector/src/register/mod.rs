//! The BMD asset register (KIB B) as files: CSV or spreadsheet in, validated rows out.
//!
//! Parsing is all-or-nothing: [`parse_file`] returns every row, or every problem found (one
//! [`Diagnostic`] per bad value, each as `file:line:column`) and no rows, so an import can
//! never store half a register. Parsing never touches the database; [`import`] (the
//! `register import` command and the import API) stores what it returns; [`export`] writes
//! the stored register back out as XLSX or CSV. The accepted format, aliases and
//! normalization rules are documented in `docs/register-format.md`.

mod columns;
mod csv_input;
pub mod export;
mod header;
pub mod import;
mod kode;
mod rows;
mod table;
mod values;
mod xlsx_input;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;

/// Condition of an asset as the register records it (Permendagri 19/2016 and SIMDA BMD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    Baik,
    KurangBaik,
    RusakRingan,
    RusakBerat,
}

impl Condition {
    /// The register's short code: B, KB, RR, RB.
    pub fn code(self) -> &'static str {
        match self {
            Condition::Baik => "B",
            Condition::KurangBaik => "KB",
            Condition::RusakRingan => "RR",
            Condition::RusakBerat => "RB",
        }
    }

    /// The inverse of [`Condition::code`].
    pub fn from_code(code: &str) -> Option<Condition> {
        [
            Condition::Baik,
            Condition::KurangBaik,
            Condition::RusakRingan,
            Condition::RusakBerat,
        ]
        .into_iter()
        .find(|c| c.code() == code)
    }

    /// The name as the register writes it: Baik, Kurang Baik, Rusak Ringan, Rusak Berat.
    pub fn label(self) -> &'static str {
        match self {
            Condition::Baik => "Baik",
            Condition::KurangBaik => "Kurang Baik",
            Condition::RusakRingan => "Rusak Ringan",
            Condition::RusakBerat => "Rusak Berat",
        }
    }

    /// Severity for comparisons: Baik 0, Kurang Baik and Rusak Ringan 1, Rusak Berat 2.
    /// (Kurang Baik is the Permendagri 19/2016 word, Rusak Ringan SIMDA's for the same step.)
    pub fn severity(self) -> u8 {
        match self {
            Condition::Baik => 0,
            Condition::KurangBaik | Condition::RusakRingan => 1,
            Condition::RusakBerat => 2,
        }
    }
}

/// One asset (one nomor register) of the register, normalized. A source line with a register
/// range becomes one `AssetRow` per register number, all with the same `source_line`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssetRow {
    /// Kode lokasi of the UPB/OPD holding the asset, as written (a trailing dot removed).
    pub kode_lokasi: String,
    pub nama_opd: Option<String>,
    /// Dotted Permendagri 108 form with fixed widths, e.g. `1.3.2.10.01.02.001`.
    pub kode_barang: String,
    pub nama_barang: String,
    /// Six digits, zero-padded: `000001`.
    pub nomor_register: String,
    /// Nomor Induk Barang (e-BMD), when the export has it.
    pub nibar: Option<String>,
    pub merk: String,
    pub tipe: String,
    pub ukuran: String,
    pub bahan: String,
    pub tahun_perolehan: Option<i32>,
    /// The serial number as registered; `-` and empty are `None`. Placeholders such as
    /// "To be filled by O.E.M." are kept: matching decides what they are worth.
    pub nomor_pabrik: Option<String>,
    pub asal_usul: String,
    /// Whole rupiah (cents rounded half up).
    pub harga_rupiah: Option<i64>,
    /// `None` when the file has no kondisi, or a SIMDA status that is not a physical
    /// condition (4 Hilang, 5 Tidak Ditemukan, 6 Lainnya; a warning says which).
    pub kondisi: Option<Condition>,
    pub ruangan: String,
    pub pemegang: String,
    pub keterangan: String,
    /// Jumlah as written on the source line (for a range, the whole range's count).
    pub jumlah: Option<u32>,
    /// The CSV line where the record starts, or the spreadsheet row number.
    pub source_line: usize,
}

impl AssetRow {
    /// The register key: NIBAR when present, else `kode_lokasi|kode_barang|nomor_register`.
    pub fn key(&self) -> String {
        match &self.nibar {
            Some(nibar) => nibar.clone(),
            None => self.location_key(),
        }
    }

    /// `kode_lokasi|kode_barang|nomor_register`, unique in SIMDA whether or not a NIBAR exists.
    pub fn location_key(&self) -> String {
        format!(
            "{}|{}|{}",
            self.kode_lokasi, self.kode_barang, self.nomor_register
        )
    }
}

/// A problem at a place in a file.
///
/// CSV: `file` is the file name, `line` the 1-based line where the record starts (a quoted
/// value spanning lines does not shift later records), `column` the 1-based field number.
/// Spreadsheets: `file` is `name[Sheet]`, `line` the row number and `column` the column
/// number as the spreadsheet shows them (column 3 is C, so `7:3` is cell C7).
/// `line` 0 means the whole file, `column` 0 the whole line; Display then leaves them out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The header of that column as written in the file.
    pub column_name: Option<String>,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}: {}", self.file, self.message),
            (line, 0) => write!(f, "{}:{line}: {}", self.file, self.message),
            (line, column) => write!(f, "{}:{line}:{column}: {}", self.file, self.message),
        }
    }
}

/// Every row of a register file, and what was accepted but deserves a look.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parsed {
    pub rows: Vec<AssetRow>,
    pub warnings: Vec<Diagnostic>,
}

/// Why a file was refused: every problem found, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseErrors(pub Vec<Diagnostic>);

impl fmt::Display for ParseErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseErrors {}

/// Reads a register file, choosing the reader by extension: `.csv`/`.txt` as CSV,
/// `.xlsx`/`.xlsm`/`.xls`/`.ods` as a workbook (every sheet with a register header).
pub fn parse_file(path: &Path) -> Result<Parsed, ParseErrors> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let bytes = std::fs::read(path).map_err(|e| {
        ParseErrors(vec![file_error(
            &name,
            format!("cannot read the file: {e}"),
        )])
    })?;
    parse_bytes(&name, &bytes)
}

/// Like [`parse_file`] for content already in memory (an upload); `name` picks the reader.
pub fn parse_bytes(name: &str, bytes: &[u8]) -> Result<Parsed, ParseErrors> {
    let ext = Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" | "txt" => parse_csv(name, bytes),
        "xlsx" | "xlsm" | "xls" | "ods" => {
            let tables = xlsx_input::read(name, bytes).map_err(|d| ParseErrors(vec![d]))?;
            rows::build(name, &tables)
        }
        _ => Err(ParseErrors(vec![file_error(
            name,
            format!("unsupported file type {ext:?}: use .csv, .xlsx, .xls or .ods"),
        )])),
    }
}

/// Reads a CSV register (`,`, `;` or tab separated, UTF-8 with or without BOM).
pub fn parse_csv(name: &str, bytes: &[u8]) -> Result<Parsed, ParseErrors> {
    let table = csv_input::read(name, bytes).map_err(ParseErrors)?;
    rows::build(name, std::slice::from_ref(&table))
}

fn file_error(file: &str, message: String) -> Diagnostic {
    Diagnostic {
        file: file.to_string(),
        line: 0,
        column: 0,
        column_name: None,
        message,
    }
}
