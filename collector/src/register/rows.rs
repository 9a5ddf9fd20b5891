//! Tables to validated [`AssetRow`]s: one row per register number, duplicates refused, every
//! problem collected before deciding, so the caller gets all rows or none.

use super::columns::Field;
use super::header::{self, Header};
use super::kode::{normalize_kode_barang, parse_registers, Registers};
use super::table::{Cell, Record, Table};
use super::values::{jumlah_from_cell, parse_condition, rupiah_from_cell, year_from_cell, Kondisi};
use super::{AssetRow, Diagnostic, ParseErrors, Parsed};
use std::collections::HashMap;

/// Where a key was first seen, for the duplicate message.
type Seen = HashMap<String, (String, usize)>;

#[derive(Default)]
struct Builder {
    rows: Vec<AssetRow>,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    nibars: Seen,
    locations: Seen,
}

/// Builds the rows of a file from its tables (one for CSV, one per sheet for workbooks).
pub fn build(file: &str, tables: &[Table]) -> Result<Parsed, ParseErrors> {
    let mut b = Builder::default();
    let mut headers = 0;
    let mut no_header = Vec::new();
    for table in tables {
        if table.records.iter().all(Record::is_blank) {
            continue;
        }
        match header::find(table, &mut b.errors, &mut b.warnings) {
            Ok(header) => {
                headers += 1;
                for record in &table.records[header.data_start..] {
                    b.record(table, &header, record);
                }
            }
            Err(d) => no_header.push(d),
        }
    }
    if headers == 0 {
        // Nothing looked like a register: every sheet's reason is the answer.
        b.errors.extend(no_header);
        if b.errors.is_empty() {
            b.errors.push(Diagnostic {
                file: file.to_string(),
                line: 0,
                column: 0,
                column_name: None,
                message: "the file is empty".into(),
            });
        }
    } else {
        // Other sheets of a workbook (notes, a recap) are fine to skip, but say so.
        for mut d in no_header {
            d.message = format!("sheet skipped: {}", d.message);
            b.warnings.push(d);
        }
        if b.rows.is_empty() && b.errors.is_empty() {
            // An empty register would read as "every asset was removed" on re-import.
            b.errors.push(Diagnostic {
                file: file.to_string(),
                line: 0,
                column: 0,
                column_name: None,
                message: "no register rows below the header".into(),
            });
        }
    }
    if b.errors.is_empty() {
        Ok(Parsed {
            rows: b.rows,
            warnings: b.warnings,
        })
    } else {
        Err(ParseErrors(b.errors))
    }
}

/// One record being read: its cells by field, and the problems found so far.
struct Line<'a> {
    table: &'a Table,
    header: &'a Header,
    record: &'a Record,
    errors: Vec<Diagnostic>,
}

impl Line<'_> {
    fn diag(&self, index: usize, message: String) -> Diagnostic {
        let name = self.header.name(index).map(str::to_string);
        Diagnostic {
            file: self.table.label.clone(),
            line: self.record.line,
            column: self.record.column_of(index),
            message: match &name {
                Some(n) => format!("{n}: {message}"),
                None => message,
            },
            column_name: name,
        }
    }

    fn diag_line(&self, message: &str) -> Diagnostic {
        Diagnostic {
            file: self.table.label.clone(),
            line: self.record.line,
            column: 0,
            column_name: None,
            message: message.into(),
        }
    }

    fn cell(&self, field: Field) -> Option<(usize, &Cell)> {
        let index = self.header.index(field)?;
        Some((index, self.record.cells.get(index).unwrap_or(&Cell::Empty)))
    }

    /// Parses one field; a missing column reads as an empty cell. `None` means an error
    /// was recorded.
    fn value<T>(
        &mut self,
        field: Field,
        parse: impl FnOnce(&Cell) -> Result<T, String>,
    ) -> Option<T> {
        let Some((index, cell)) = self.cell(field) else {
            return parse(&Cell::Empty).ok();
        };
        let result = match cell {
            Cell::Error(e) => Err(format!("the cell holds the spreadsheet error {e}")),
            cell => parse(cell),
        };
        result
            .map_err(|m| self.errors.push(self.diag(index, m)))
            .ok()
    }

    fn text(&mut self, field: Field) -> String {
        self.value(field, |c| Ok(c.text())).unwrap_or_default()
    }

    fn optional(&mut self, field: Field) -> Option<String> {
        Some(self.text(field)).filter(|s| !s.is_empty())
    }

    fn required(&mut self, field: Field, what: &str) -> String {
        let text = self.text(field);
        // A spreadsheet error cell was reported by `text` already.
        if let Some((index, cell)) = self.cell(field).filter(|(_, c)| c.is_blank()) {
            let _ = cell;
            self.errors
                .push(self.diag(index, format!("{what} is empty")));
        }
        text
    }

    /// Separate `Merk` and `Type` columns win; SIMDA's combined `Merk / Type` fills whichever
    /// is missing, split at the first " / " (model names contain `/` without spaces).
    fn merk_tipe(&mut self) -> (String, String) {
        let combined = self.text(Field::MerkTipe);
        let (c_merk, c_tipe) = match combined.split_once(" / ") {
            Some((m, t)) => (m.trim().to_string(), t.trim().to_string()),
            None => (combined.clone(), String::new()),
        };
        let merk = if self.cell(Field::Merk).is_some() {
            self.text(Field::Merk)
        } else {
            c_merk
        };
        let tipe = if self.cell(Field::Tipe).is_some() {
            self.text(Field::Tipe)
        } else {
            c_tipe
        };
        (merk, tipe)
    }
}

impl Builder {
    fn record(&mut self, table: &Table, header: &Header, record: &Record) {
        if record.is_blank() {
            return;
        }
        let mut l = Line {
            table,
            header,
            record,
            errors: Vec::new(),
        };
        if let Some(extra) =
            (header.columns.len()..record.cells.len()).find(|&i| !record.cells[i].is_blank())
        {
            let message = "a value right of the last header column (an unquoted separator \
                           inside a value?)";
            l.errors.push(l.diag(extra, message.into()));
        }
        let keys = [Field::KodeLokasi, Field::KodeBarang, Field::NomorRegister];
        if keys
            .iter()
            .all(|f| l.cell(*f).is_none_or(|(_, c)| c.is_blank()))
        {
            // A total or a signature line under the table, not an asset.
            if l.errors.is_empty() {
                self.warnings.push(
                    l.diag_line("no kode lokasi, kode barang or nomor register: line skipped"),
                );
                return;
            }
        }
        let kode_lokasi = l.required(Field::KodeLokasi, "kode lokasi");
        let kode_lokasi = kode_lokasi
            .strip_suffix('.')
            .unwrap_or(&kode_lokasi)
            .to_string();
        let kode_barang = match l.required(Field::KodeBarang, "kode barang") {
            s if s.is_empty() => String::new(),
            _ => l
                .value(Field::KodeBarang, |c| normalize_kode_barang(&c.text()))
                .unwrap_or_default(),
        };
        let registers = match l.required(Field::NomorRegister, "nomor register") {
            s if s.is_empty() => None,
            _ => l.value(Field::NomorRegister, |c| parse_registers(&c.text())),
        };
        let (merk, tipe) = l.merk_tipe();
        let kondisi = match l.value(Field::Kondisi, |c| parse_condition(&c.text())) {
            Some(Kondisi::Known(c)) => Some(c),
            Some(Kondisi::Status(status)) => {
                let (index, _) = l.cell(Field::Kondisi).expect("a status comes from a cell");
                let message = format!(
                    "SIMDA status {status} is not a physical condition; kondisi left empty"
                );
                self.warnings.push(l.diag(index, message));
                None
            }
            _ => None,
        };
        let row = AssetRow {
            kode_lokasi,
            nama_opd: l.optional(Field::NamaOpd),
            kode_barang,
            nama_barang: l.text(Field::NamaBarang),
            nomor_register: String::new(),
            nibar: l.optional(Field::Nibar),
            merk,
            tipe,
            ukuran: l.text(Field::Ukuran),
            bahan: l.text(Field::Bahan),
            tahun_perolehan: l.value(Field::TahunPerolehan, year_from_cell).flatten(),
            nomor_pabrik: l.optional(Field::NomorPabrik),
            asal_usul: l.text(Field::AsalUsul),
            harga_rupiah: l.value(Field::Harga, rupiah_from_cell).flatten(),
            kondisi,
            ruangan: l.text(Field::Ruangan),
            pemegang: l.text(Field::Pemegang),
            keterangan: l.text(Field::Keterangan),
            jumlah: l.value(Field::Jumlah, jumlah_from_cell).flatten(),
            source_line: record.line,
        };
        if !row.kode_barang.is_empty() && !row.kode_barang.starts_with("1.3.2.") {
            let (index, _) = l
                .cell(Field::KodeBarang)
                .expect("kode barang is a required column");
            let message = format!(
                "{} is not Peralatan dan Mesin (KIB B, 1.3.2.*)",
                row.kode_barang
            );
            self.warnings.push(l.diag(index, message));
        }
        if let Some(registers) = registers.filter(|_| l.errors.is_empty()) {
            self.expand(&mut l, row, registers);
        }
        // Fields are read in dependency order; report them left to right.
        l.errors.sort_by_key(|d| d.column);
        self.errors.append(&mut l.errors);
    }

    /// One row per register number, each checked against every key seen before.
    fn expand(&mut self, l: &mut Line, row: AssetRow, registers: Registers) {
        let count = registers.count();
        if let (Some(jumlah), Some((index, _))) = (row.jumlah, l.cell(Field::Jumlah)) {
            if jumlah != count {
                let message = format!("jumlah {jumlah} but the nomor register covers {count}");
                self.warnings.push(l.diag(index, message));
            }
        }
        if count > 1 {
            if let Some((index, _)) = l.cell(Field::Nibar).filter(|_| row.nibar.is_some()) {
                let message = "one NIBAR on a register range: NIBAR belongs to one asset";
                l.errors.push(l.diag(index, message.into()));
                return;
            }
            if let Some((index, _)) = l
                .cell(Field::NomorPabrik)
                .filter(|_| row.nomor_pabrik.is_some())
            {
                let message = format!("one nomor pabrik for {count} registers; kept on each");
                self.warnings.push(l.diag(index, message));
            }
        }
        let (reg_index, _) = l.cell(Field::NomorRegister).expect("required column");
        let nibar_index = l.cell(Field::Nibar).map(|(i, _)| i);
        for number in registers.numbers() {
            let mut asset = row.clone();
            asset.nomor_register = number;
            let mut duplicate = false;
            let what = "kode lokasi, kode barang and nomor register";
            if let Err(m) = first_use(&mut self.locations, asset.location_key(), what, l) {
                l.errors.push(l.diag(reg_index, m));
                duplicate = true;
            }
            if let (Some(nibar), Some(index)) = (&asset.nibar, nibar_index) {
                if let Err(m) = first_use(&mut self.nibars, nibar.clone(), "NIBAR", l) {
                    l.errors.push(l.diag(index, m));
                    duplicate = true;
                }
            }
            if !duplicate {
                self.rows.push(asset);
            }
        }
    }
}

/// Records `key` as seen on this line, or says where it was seen first.
fn first_use(seen: &mut Seen, key: String, what: &str, l: &Line) -> Result<(), String> {
    let label = &l.table.label;
    match seen.get(&key) {
        Some((first_label, first_line)) => {
            let place = if first_label == label {
                format!("line {first_line}")
            } else {
                format!("{first_label}:{first_line}")
            };
            Err(format!(
                "duplicate register: the same {what} ({key}) as on {place}"
            ))
        }
        None => {
            seen.insert(key, (label.clone(), l.record.line));
            Ok(())
        }
    }
}
