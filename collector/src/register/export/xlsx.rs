//! The workbook: a "Ringkasan" (summary) sheet first, then one sheet per OPD named by its
//! kode lokasi. Each OPD sheet has two title rows (kode lokasi and nama OPD; when and by
//! whom it was exported), then the header, frozen and filterable, then one row per asset.

use super::{by_opd, summarize, Options, Value, COLUMNS};
use crate::i18n::Lang;
use crate::store::RegisterLine;
use rust_xlsxwriter::{ExcelDateTime, Format, FormatBorder, Workbook, Worksheet, XlsxError};
use std::collections::HashSet;

/// Excel's limit on a sheet name, in characters.
const SHEET_NAME_MAX: usize = 31;
/// Excel's limit on the text of one cell, in characters.
const CELL_TEXT_MAX: usize = 32_767;
/// Row (0-based) of the header on every sheet: below the two title rows.
const HEADER_ROW: u32 = 2;

struct Formats {
    title: Format,
    header: Format,
    rupiah: Format,
    time: Format,
    total: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            title: Format::new().set_bold().set_font_size(13),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_background_color("D9E1F2")
                .set_border_bottom(FormatBorder::Thin),
            // `#,##0` groups thousands with the reader's own separator: Excel with
            // Indonesian regional settings shows 12.450.000, and the cell stays a number.
            rupiah: Format::new().set_num_format("#,##0"),
            time: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            total: Format::new().set_bold().set_border_top(FormatBorder::Thin),
        }
    }
}

/// The whole workbook as bytes. `lines` must be ordered by kode lokasi (as
/// `Store::register_lines` returns them).
pub fn write_xlsx(lines: &[RegisterLine], options: &Options) -> anyhow::Result<Vec<u8>> {
    let lang = options.lang;
    let f = Formats::new();
    let mut book = Workbook::new();
    let summary_name = lang.t("Ringkasan", "Summary");
    let generated = generated_line(options, lines.len());
    summary_sheet(
        book.add_worksheet(),
        summary_name,
        &generated,
        lines,
        lang,
        &f,
    )?;
    let mut used: HashSet<String> = HashSet::from([summary_name.to_lowercase()]);
    for group in by_opd(lines) {
        let first = &group[0];
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(&first.kode_lokasi, &mut used))?;
        let title = match group.iter().find_map(|l| l.nama_opd.as_deref()) {
            Some(nama) => format!("{} {nama}", first.kode_lokasi),
            None => first.kode_lokasi.clone(),
        };
        sheet.write_string_with_format(0, 0, clip(&title), &f.title)?;
        sheet.write_string(1, 0, &generated)?;
        for (c, column) in COLUMNS.iter().enumerate() {
            let c = c as u16;
            sheet.write_string_with_format(HEADER_ROW, c, column.header(lang), &f.header)?;
            sheet.set_column_width(c, column.width)?;
        }
        for (i, line) in group.iter().enumerate() {
            let row = HEADER_ROW + 1 + i as u32;
            for (c, column) in COLUMNS.iter().enumerate() {
                write_value(sheet, row, c as u16, &column.value(line, lang), &f)?;
            }
        }
        let last_row = HEADER_ROW + group.len() as u32;
        sheet.set_freeze_panes(HEADER_ROW + 1, 0)?;
        sheet.autofilter(HEADER_ROW, 0, last_row, COLUMNS.len() as u16 - 1)?;
    }
    Ok(book.save_to_buffer()?)
}

/// "Diekspor oleh Pantau ...": says the file is a snapshot, and of when.
fn generated_line(options: &Options, assets: usize) -> String {
    let at = options.generated_at.format("%Y-%m-%d %H:%M UTC");
    match options.lang {
        Lang::Id => format!("Diekspor oleh Pantau pada {at}; {assets} aset"),
        Lang::En => format!("Exported by Pantau at {at}; {assets} assets"),
    }
}

fn summary_sheet(
    sheet: &mut Worksheet,
    name: &str,
    generated: &str,
    lines: &[RegisterLine],
    lang: Lang,
    f: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(name)?;
    let title = lang.t("Ringkasan register per OPD", "Register summary per OPD");
    sheet.write_string_with_format(0, 0, title, &f.title)?;
    sheet.write_string(1, 0, generated)?;
    let headers: [(&str, &str, f64); 8] = [
        ("Kode Lokasi", "Location Code", 16.0),
        ("Nama OPD", "OPD Name", 40.0),
        ("Aset", "Assets", 9.0),
        ("Cocok", "Matched", 9.0),
        ("Perlu Ditinjau", "Needs Review", 10.0),
        ("Tidak Melapor", "Silent", 10.0),
        ("Tidak Dipantau", "Not Monitored", 10.0),
        (
            "Kondisi Register ≠ Saran",
            "Register Condition ≠ Suggested",
            14.0,
        ),
    ];
    for (c, (id, en, width)) in headers.iter().enumerate() {
        sheet.write_string_with_format(HEADER_ROW, c as u16, lang.t(id, en), &f.header)?;
        sheet.set_column_width(c as u16, *width)?;
    }
    let summaries = summarize(lines);
    let mut totals = [0usize; 6];
    for (i, s) in summaries.iter().enumerate() {
        let row = HEADER_ROW + 1 + i as u32;
        sheet.write_string(row, 0, &s.kode_lokasi)?;
        sheet.write_string(row, 1, clip(s.nama_opd.as_deref().unwrap_or("")))?;
        let counts = [
            s.assets,
            s.matched,
            s.review,
            s.silent,
            s.not_seen,
            s.kondisi_differs,
        ];
        for (k, n) in counts.iter().enumerate() {
            sheet.write_number(row, 2 + k as u16, *n as f64)?;
            totals[k] += n;
        }
    }
    let row = HEADER_ROW + 1 + summaries.len() as u32;
    sheet.write_string_with_format(row, 0, lang.t("Jumlah", "Total"), &f.total)?;
    sheet.write_string_with_format(row, 1, "", &f.total)?;
    for (k, n) in totals.iter().enumerate() {
        sheet.write_number_with_format(row, 2 + k as u16, *n as f64, &f.total)?;
    }
    sheet.set_freeze_panes(HEADER_ROW + 1, 0)?;
    Ok(())
}

fn write_value(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    value: &Value,
    f: &Formats,
) -> Result<(), XlsxError> {
    write_cell(sheet, row, col, value, &f.rupiah, &f.time)
}

/// One typed cell; shared with the periodic reports (issue 8), whose asset sheets follow
/// this export's columns.
pub fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    value: &Value,
    rupiah: &Format,
    time: &Format,
) -> Result<(), XlsxError> {
    match value {
        // Always strings, never formulas: a register value starting with `=` stays text.
        Value::Text(s) => sheet.write_string(row, col, clip(s))?,
        Value::Int(i) => sheet.write_number(row, col, *i as f64)?,
        Value::Float(v) => sheet.write_number(row, col, *v)?,
        Value::Rupiah(r) => sheet.write_number_with_format(row, col, *r as f64, rupiah)?,
        Value::Time(t) => {
            let naive = t.naive_utc();
            use chrono::{Datelike, Timelike};
            let dt = ExcelDateTime::from_ymd(
                naive.year() as u16,
                naive.month() as u8,
                naive.day() as u8,
            )
            .and_then(|d| d.and_hms(naive.hour() as u16, naive.minute() as u8, naive.second()));
            match dt {
                Ok(dt) => sheet.write_datetime_with_format(row, col, dt, time)?,
                // Outside Excel's calendar (before 1900): keep the value as text.
                Err(_) => sheet.write_string(row, col, value.csv_text())?,
            }
        }
        Value::Empty => sheet,
    };
    Ok(())
}

/// A cell's text within Excel's limit; a longer value would make the whole export fail.
fn clip(s: &str) -> &str {
    match s.char_indices().nth(CELL_TEXT_MAX) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

/// The kode lokasi as a sheet name Excel accepts: no `[]:*?/\`, at most 31 characters,
/// unique without regard to case (two OPDs whose codes agree in the first 31 characters get
/// `~2`, `~3` ...).
pub fn sheet_name(kode_lokasi: &str, used: &mut HashSet<String>) -> String {
    let clean: String = kode_lokasi
        .chars()
        .map(|c| match c {
            '[' | ']' | ':' | '*' | '?' | '/' | '\\' => '_',
            c => c,
        })
        .collect();
    let clean = clean.trim_matches('\'');
    let base: String = if clean.is_empty() { "OPD" } else { clean }
        .chars()
        .take(SHEET_NAME_MAX)
        .collect();
    let mut name = base.clone();
    let mut n = 2;
    while !used.insert(name.to_lowercase()) {
        let suffix = format!("~{n}");
        let keep = SHEET_NAME_MAX - suffix.chars().count();
        name = base.chars().take(keep).collect::<String>() + &suffix;
        n += 1;
    }
    name
}
