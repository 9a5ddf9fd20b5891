//! The register as Pantau sees it, written back out: XLSX (one sheet per OPD and a
//! "Ringkasan" summary) for the people who update the BMD register, or one CSV file.
//!
//! Both formats share the column list below: the register's own columns in Pantau's import
//! order, then Pantau's findings. The register columns carry headers that the import
//! parser recognizes (`columns.rs`), so an export re-imports into Pantau with the same
//! register keys; Pantau's own columns are ignored on import, by name. The format is
//! documented in `docs/register-format.md#exporting`.

mod csv;
mod xlsx;

pub use self::csv::write_csv;
pub use self::xlsx::{sheet_name, write_cell, write_xlsx};

use crate::i18n::Lang;
use crate::register::Condition;
use crate::store::{RegisterLine, Store};
use anyhow::Context as _;
use chrono::{DateTime, Local, NaiveDate, Utc};
use std::path::{Path, PathBuf};

/// File formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Xlsx,
    Csv,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }

    /// `register-pantau-YYYYMMDD.xlsx`: the date tells one export from the next.
    pub fn default_file_name(self, date: NaiveDate) -> String {
        format!(
            "register-pantau-{}.{}",
            date.format("%Y%m%d"),
            self.extension()
        )
    }
}

/// How to write an export.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub lang: Lang,
    /// CSV only. `;` by default: Excel with Indonesian regional settings uses `,` as the
    /// decimal separator and therefore opens only `;`-separated files straight into columns.
    pub delimiter: u8,
    /// Printed in the workbook's title rows; passed in so output is reproducible in tests.
    pub generated_at: DateTime<Utc>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            lang: Lang::Id,
            delimiter: b';',
            generated_at: Utc::now(),
        }
    }
}

/// One value of a cell, typed so the workbook can store numbers as numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    /// A whole number shown as is (tahun).
    Int(i64),
    /// Whole rupiah, shown with thousands grouping.
    Rupiah(i64),
    /// A measured figure (percentages in reports).
    Float(f64),
    Time(DateTime<Utc>),
    Empty,
}

impl Value {
    /// The text a CSV holds: numbers without grouping (so any locale and Pantau's own
    /// parser read them back unambiguously), times as `YYYY-MM-DD HH:MM:SS` UTC.
    pub fn csv_text(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Int(i) | Value::Rupiah(i) => i.to_string(),
            Value::Float(v) => v.to_string(),
            Value::Time(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            Value::Empty => String::new(),
        }
    }
}

/// A column of the export: header in both languages, width in characters for the workbook.
pub struct Column {
    pub id: &'static str,
    pub en: &'static str,
    pub width: f64,
    value: fn(&RegisterLine, Lang) -> Value,
}

impl Column {
    pub fn header(&self, lang: Lang) -> &'static str {
        lang.t(self.id, self.en)
    }

    pub fn value(&self, line: &RegisterLine, lang: Lang) -> Value {
        (self.value)(line, lang)
    }
}

fn text(s: &str) -> Value {
    if s.is_empty() {
        Value::Empty
    } else {
        Value::Text(s.to_string())
    }
}

fn opt(s: &Option<String>) -> Value {
    s.as_deref().map_or(Value::Empty, text)
}

/// Conditions keep their BMD names in both languages: they are the register's legal
/// categories (and what the import parser reads back), not prose to translate.
fn condition(c: Option<Condition>) -> Value {
    c.map_or(Value::Empty, |c| Value::Text(c.label().into()))
}

/// Indonesian words for reconciliation's `match_state`; an unknown state is shown as is
/// rather than hidden, so a newer store never exports blanks.
pub fn match_state_label(state: &str, lang: Lang) -> String {
    match state {
        "matched" => lang.t("Cocok", "Matched"),
        "review" => lang.t("Perlu ditinjau", "Needs review"),
        "silent" => lang.t("Tidak melapor", "Silent"),
        "not_seen" => lang.t("Tidak dipantau", "Not monitored"),
        other => other,
    }
    .to_string()
}

/// Every column, in order. The first fifteen are the register's, with headers taken from
/// the import alias table; the rest are Pantau's and listed there as ignored.
#[rustfmt::skip]
pub const COLUMNS: &[Column] = &[
    Column { id: "Kode Lokasi", en: "Location Code", width: 16.0, value: |l, _| text(&l.kode_lokasi) },
    Column { id: "Nama OPD", en: "OPD Name", width: 30.0, value: |l, _| opt(&l.nama_opd) },
    Column { id: "Kode Barang", en: "Item Code", width: 19.0, value: |l, _| text(&l.kode_barang) },
    Column { id: "Nama Barang", en: "Item Name", width: 24.0, value: |l, _| text(&l.nama_barang) },
    Column { id: "Nomor Register", en: "Register Number", width: 10.0, value: |l, _| text(&l.nomor_register) },
    Column { id: "NIBAR", en: "NIBAR", width: 12.0, value: |l, _| opt(&l.nibar) },
    Column { id: "Merk", en: "Brand", width: 14.0, value: |l, _| text(&l.merk) },
    Column { id: "Tipe", en: "Type", width: 22.0, value: |l, _| text(&l.tipe) },
    Column { id: "Ukuran/CC", en: "Size", width: 10.0, value: |l, _| text(&l.ukuran) },
    Column { id: "Bahan", en: "Material", width: 10.0, value: |l, _| text(&l.bahan) },
    Column { id: "Tahun Perolehan", en: "Year Acquired", width: 10.0, value: |l, _| l.tahun_perolehan.map_or(Value::Empty, |y| Value::Int(y.into())) },
    Column { id: "Nomor Pabrik", en: "Serial Number", width: 18.0, value: |l, _| opt(&l.nomor_pabrik) },
    Column { id: "Asal Usul", en: "Origin", width: 12.0, value: |l, _| text(&l.asal_usul) },
    Column { id: "Harga (Rp)", en: "Price (Rp)", width: 15.0, value: |l, _| l.harga_rupiah.map_or(Value::Empty, Value::Rupiah) },
    Column { id: "Kondisi Register", en: "Register Condition", width: 13.0, value: |l, _| condition(l.kondisi) },
    Column { id: "Ruangan", en: "Room", width: 20.0, value: |l, _| text(&l.ruangan) },
    Column { id: "Pemegang", en: "Holder", width: 18.0, value: |l, _| text(&l.pemegang) },
    Column { id: "Keterangan", en: "Remarks", width: 20.0, value: |l, _| text(&l.keterangan) },
    Column { id: "Status Pencocokan", en: "Match Status", width: 15.0, value: |l, lang| Value::Text(match_state_label(&l.match_state, lang)) },
    Column { id: "Agent", en: "Agent", width: 18.0, value: |l, _| opt(&l.agent_id) },
    Column { id: "Hostname", en: "Hostname", width: 18.0, value: |l, _| opt(&l.hostname) },
    Column { id: "Aturan Pencocokan", en: "Match Rule", width: 12.0, value: |l, _| opt(&l.match_rule) },
    Column { id: "Terakhir Terlihat (UTC)", en: "Last Seen (UTC)", width: 19.0, value: |l, _| l.last_seen.map_or(Value::Empty, Value::Time) },
    Column { id: "Nomor Pabrik Terpantau", en: "Observed Serial Number", width: 18.0, value: |l, _| opt(&l.observed_serial) },
    Column { id: "Merk/Model Terpantau", en: "Observed Make/Model", width: 24.0, value: |l, _| observed_make_model(l) },
    Column { id: "Kondisi Saran", en: "Suggested Condition", width: 13.0, value: |l, _| condition(l.suggested_kondisi) },
    Column { id: "Bukti Kondisi", en: "Condition Evidence", width: 40.0, value: |l, _| text(&l.suggestion_evidence.join("; ")) },
    Column { id: "Flag Terbuka", en: "Open Flags", width: 20.0, value: |l, _| text(&l.open_flags.join(", ")) },
];

/// `vendor / model`, the form the register's combined `Merk / Type` column uses.
fn observed_make_model(l: &RegisterLine) -> Value {
    match (l.observed_vendor.as_deref(), l.observed_model.as_deref()) {
        (Some(v), Some(m)) => text(&format!("{v} / {m}")),
        (Some(s), None) | (None, Some(s)) => text(s),
        (None, None) => Value::Empty,
    }
}

/// Counts for one OPD: a line of the "Ringkasan" sheet and of the CLI's closing message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpdSummary {
    pub kode_lokasi: String,
    pub nama_opd: Option<String>,
    pub assets: usize,
    pub matched: usize,
    pub review: usize,
    pub silent: usize,
    pub not_seen: usize,
    /// Assets whose suggested condition differs from the register's.
    pub kondisi_differs: usize,
}

/// Consecutive lines with the same kode lokasi: `lines` come ordered by kode lokasi.
pub fn by_opd(lines: &[RegisterLine]) -> Vec<&[RegisterLine]> {
    lines
        .chunk_by(|a, b| a.kode_lokasi == b.kode_lokasi)
        .collect()
}

pub fn summarize(lines: &[RegisterLine]) -> Vec<OpdSummary> {
    by_opd(lines)
        .into_iter()
        .map(|group| {
            let mut s = OpdSummary {
                kode_lokasi: group[0].kode_lokasi.clone(),
                nama_opd: group.iter().find_map(|l| l.nama_opd.clone()),
                assets: group.len(),
                ..Default::default()
            };
            for l in group {
                match l.match_state.as_str() {
                    "matched" => s.matched += 1,
                    "review" => s.review += 1,
                    "silent" => s.silent += 1,
                    "not_seen" => s.not_seen += 1,
                    _ => {}
                }
                if l.suggested_kondisi.is_some() && l.suggested_kondisi != l.kondisi {
                    s.kondisi_differs += 1;
                }
            }
            s
        })
        .collect()
}

/// `;`, `,` or `tab` (also a literal tab): the separators Pantau's own parser detects.
pub fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        ";" => Ok(b';'),
        "," => Ok(b','),
        "tab" | "\t" | "\\t" => Ok(b'\t'),
        other => Err(format!("delimiter {other:?}: use ';', ',' or 'tab'")),
    }
}

/// The bytes of an export in `format`.
pub fn write(format: Format, lines: &[RegisterLine], options: &Options) -> anyhow::Result<Vec<u8>> {
    match format {
        Format::Xlsx => write_xlsx(lines, options),
        Format::Csv => write_csv(lines, options),
    }
}

/// Lines to export: all current assets, or one OPD's. Asking for an OPD that has none is an
/// error rather than an empty file, as it is usually a mistyped kode lokasi.
pub async fn lines(store: &dyn Store, opd: Option<&str>) -> anyhow::Result<Vec<RegisterLine>> {
    let lines = store.register_lines(opd).await?;
    if let (Some(opd), true) = (opd, lines.is_empty()) {
        anyhow::bail!(
            "tidak ada aset dengan kode lokasi {opd:?} (no assets with kode lokasi {opd:?})"
        );
    }
    Ok(lines)
}

/// `pantau-collector register export`: writes the file and says where, and how much.
pub async fn run(
    store: &dyn Store,
    format: Format,
    out: Option<&Path>,
    opd: Option<&str>,
    options: &Options,
) -> anyhow::Result<String> {
    let lines = lines(store, opd).await?;
    let bytes = write(format, &lines, options)?;
    let out = match out {
        Some(p) => p.to_path_buf(),
        None => PathBuf::from(format.default_file_name(Local::now().date_naive())),
    };
    std::fs::write(&out, bytes).with_context(|| format!("writing {}", out.display()))?;
    let opds = by_opd(&lines).len();
    Ok(match options.lang {
        Lang::Id => format!(
            "Ditulis ke {}: {} aset, {opds} OPD\n",
            out.display(),
            lines.len()
        ),
        Lang::En => {
            let plural =
                |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
            format!(
                "Written to {}: {}, {}\n",
                out.display(),
                plural(lines.len(), "asset"),
                plural(opds, "OPD")
            )
        }
    })
}

#[cfg(test)]
mod tests;
