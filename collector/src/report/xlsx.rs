//! The report as a workbook: a summary sheet (headline figures, inventory by class and
//! condition, coverage and network per OPD, recommendations) and one sheet per OPD with
//! its assets in the register export's column order (`register::export::COLUMNS`, so the
//! sheet re-imports like an export) followed by the period's figures.
//!
//! Reproducible: the document's creation time is the report's `generated_at` (the writer
//! would otherwise stamp the clock), and the zip entries carry a fixed time; the same data
//! gives the same bytes.

use super::data::*;
use super::text::{self, pct};
use crate::i18n::Lang;
use crate::register::export::{sheet_name, write_cell as write_value, Value, COLUMNS};
use crate::store::sqlite::report::Stat;
use chrono::{Datelike, Timelike};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatBorder, Workbook, Worksheet};
use std::collections::{HashMap, HashSet};

/// Header row (0-based) of every sheet, below two title rows.
const HEADER_ROW: u32 = 2;

pub fn render(d: &ReportData, l: Lang) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    let t = d.generated_at.naive_utc();
    let created = ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)?
        .and_hms(t.hour() as u16, t.minute() as u8, t.second())?;
    book.set_properties(
        &DocProperties::new()
            .set_title(format!("Pantau {} {}", d.city, d.period))
            .set_author("Pantau")
            .set_creation_datetime(&created),
    );
    let title = Format::new().set_bold().set_font_size(13);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color("D9E1F2")
        .set_border_bottom(FormatBorder::Thin);
    let subtitle = format!(
        "{} · {} · {}",
        d.city,
        d.period.label(l),
        match &d.opd {
            Some(o) => o.kode.clone(),
            None => l.t("seluruh OPD", "all OPDs").to_string(),
        }
    );

    let summary_name = l.t("Ringkasan", "Summary");
    let sheet = book.add_worksheet();
    sheet.set_name(summary_name)?;
    summary(sheet, d, l, &title, &header, &subtitle)?;

    let recommendation: HashMap<&str, &Recommendation> = d
        .summary
        .recommendations
        .iter()
        .map(|r| (r.key.as_str(), r))
        .collect();
    let extra: [(&str, &str); 8] = [
        ("Kelas", "Class"),
        ("Jam Aktif", "Active Hours"),
        ("CPU Rata-rata (%)", "CPU Avg (%)"),
        ("CPU p95 (%)", "CPU p95 (%)"),
        ("Memori p95 (%)", "Memory p95 (%)"),
        ("Disk Rata-rata (%)", "Disk Avg (%)"),
        ("Rekomendasi", "Recommendation"),
        ("Alasan", "Reasons"),
    ];
    let mut used: HashSet<String> = HashSet::from([summary_name.to_lowercase()]);
    let rupiah = Format::new().set_num_format("#,##0");
    let time = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    for group in d
        .appendix
        .chunk_by(|a, b| a.line.kode_lokasi == b.line.kode_lokasi)
    {
        let kode = &group[0].line.kode_lokasi;
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(kode, &mut used))?;
        let nama = group
            .iter()
            .find_map(|a| a.line.nama_opd.as_deref())
            .unwrap_or("");
        sheet.write_string_with_format(0, 0, format!("{kode} {nama}").trim(), &title)?;
        sheet.write_string(1, 0, &subtitle)?;
        for (c, col) in COLUMNS.iter().enumerate() {
            sheet.write_string_with_format(HEADER_ROW, c as u16, col.header(l), &header)?;
            sheet.set_column_width(c as u16, col.width)?;
        }
        let base = COLUMNS.len() as u16;
        for (i, (id, en)) in extra.iter().enumerate() {
            sheet.write_string_with_format(HEADER_ROW, base + i as u16, l.t(id, en), &header)?;
            sheet.set_column_width(base + i as u16, 12.0)?;
        }
        for (i, a) in group.iter().enumerate() {
            let row = HEADER_ROW + 1 + i as u32;
            for (c, col) in COLUMNS.iter().enumerate() {
                write_value(sheet, row, c as u16, &col.value(&a.line, l), &rupiah, &time)?;
            }
            let stat = |s: Option<Stat>, p95: bool| {
                s.map_or(Value::Empty, |s| {
                    Value::Float(if p95 { s.p95 } else { s.avg })
                })
            };
            let rec = recommendation.get(a.line.key.as_str());
            let values = [
                Value::Text(a.class.label(l).into()),
                a.active_hours
                    .map_or(Value::Empty, |h| Value::Int(h.into())),
                stat(a.cpu, false),
                stat(a.cpu, true),
                stat(a.mem, true),
                stat(a.disk, false),
                rec.map_or(Value::Empty, |r| {
                    Value::Text(text::action(r.action, l).into())
                }),
                rec.map_or(Value::Empty, |r| {
                    Value::Text(
                        r.reasons
                            .iter()
                            .map(|x| text::reason(x, l))
                            .collect::<Vec<_>>()
                            .join("; "),
                    )
                }),
            ];
            for (k, v) in values.iter().enumerate() {
                write_value(sheet, row, base + k as u16, v, &rupiah, &time)?;
            }
        }
        let last = HEADER_ROW + group.len() as u32;
        sheet.set_freeze_panes(HEADER_ROW + 1, 0)?;
        sheet.autofilter(HEADER_ROW, 0, last, base + extra.len() as u16 - 1)?;
    }
    Ok(book.save_to_buffer()?)
}

fn summary(
    sheet: &mut Worksheet,
    d: &ReportData,
    l: Lang,
    title: &Format,
    header: &Format,
    subtitle: &str,
) -> anyhow::Result<()> {
    let s = &d.summary;
    sheet.write_string_with_format(
        0,
        0,
        l.t(
            "Laporan Kondisi Perangkat TIK",
            "ICT Equipment Condition Report",
        ),
        title,
    )?;
    sheet.write_string(1, 0, subtitle)?;
    sheet.set_column_width(0, 44.0)?;
    for c in 1..12 {
        sheet.set_column_width(c, 12.0)?;
    }
    let mut row = HEADER_ROW;
    let kv: [(&str, &str, f64); 6] = [
        (
            "Aset terdaftar",
            "Registered assets",
            d.appendix.len() as f64,
        ),
        (
            "Aset TIK terdaftar",
            "Registered ICT assets",
            s.coverage.registered_ict as f64,
        ),
        (
            "Wajib menjalankan agen",
            "Expected to run an agent",
            s.coverage.expected as f64,
        ),
        (
            "Melapor dalam periode",
            "Reporting in the period",
            s.coverage.reporting as f64,
        ),
        (
            "Cakupan pelaporan (%)",
            "Reporting coverage (%)",
            s.coverage.ratio() * 100.0,
        ),
        (
            "Aset tidak melapor",
            "Silent assets",
            s.coverage.silent.len() as f64,
        ),
    ];
    for (id, en, v) in kv {
        sheet.write_string(row, 0, l.t(id, en))?;
        sheet.write_number(row, 1, v)?;
        row += 1;
    }

    row += 1;
    sheet.write_string_with_format(row, 0, l.t("Kelas", "Class"), header)?;
    sheet.write_string_with_format(row, 1, l.t("Aset", "Assets"), header)?;
    for (i, c) in CONDITIONS.iter().enumerate() {
        sheet.write_string_with_format(
            row,
            2 + i as u16,
            format!("{} {c}", l.t("Reg.", "Reg.")),
            header,
        )?;
        sheet.write_string_with_format(
            row,
            7 + i as u16,
            format!("{} {c}", l.t("Saran", "Sugg.")),
            header,
        )?;
    }
    for c in &s.inventory {
        row += 1;
        sheet.write_string(row, 0, c.class.map_or("", |c| c.label(l)))?;
        sheet.write_number(row, 1, c.assets as f64)?;
        for (i, k) in CONDITIONS.iter().enumerate() {
            sheet.write_number(
                row,
                2 + i as u16,
                c.register.get(*k).copied().unwrap_or(0) as f64,
            )?;
            sheet.write_number(
                row,
                7 + i as u16,
                c.suggested.get(*k).copied().unwrap_or(0) as f64,
            )?;
        }
    }

    row += 2;
    let heads: [(&str, &str); 9] = [
        ("Kode Lokasi", "Location Code"),
        ("Nama OPD", "OPD Name"),
        ("Aset TIK", "ICT Assets"),
        ("Wajib Agen", "Expected"),
        ("Melapor", "Reporting"),
        ("Cakupan (%)", "Coverage (%)"),
        ("Loss Gateway (%)", "Gateway Loss (%)"),
        ("RTT Gateway (ms)", "Gateway RTT (ms)"),
        ("Flag Terbuka", "Open Flags"),
    ];
    for (i, (id, en)) in heads.iter().enumerate() {
        sheet.write_string_with_format(row, i as u16, l.t(id, en), header)?;
    }
    for o in &d.opds {
        row += 1;
        sheet.write_string(row, 0, &o.opd.kode)?;
        sheet.write_string(row, 1, o.opd.nama.as_deref().unwrap_or(""))?;
        sheet.write_number(row, 2, o.coverage.registered_ict as f64)?;
        sheet.write_number(row, 3, o.coverage.expected as f64)?;
        sheet.write_number(row, 4, o.coverage.reporting as f64)?;
        sheet.write_number(row, 5, o.coverage.ratio() * 100.0)?;
        if let Some(v) = o.net.as_ref().and_then(|n| n.gateway_loss_pct) {
            sheet.write_number(row, 6, v)?;
        }
        if let Some(v) = o.net.as_ref().and_then(|n| n.gateway_rtt_ms) {
            sheet.write_number(row, 7, v)?;
        }
        sheet.write_number(row, 8, o.open_flags as f64)?;
    }
    row += 2;
    for n in &d.notes {
        sheet.write_string(row, 0, text::note(n, d.period, l))?;
        row += 1;
    }
    sheet.write_string(
        row,
        0,
        format!(
            "{} {}",
            l.t("Ambang cakupan", "Coverage threshold"),
            pct(d.coverage_threshold, l)
        ),
    )?;
    Ok(())
}
