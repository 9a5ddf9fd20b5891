//! The report as PDF, to print and sign: typst markup written from [`ReportData`] and
//! compiled in-process by the typst crates, with the open fonts of typst-assets (Libertinus
//! Serif, DejaVu Sans Mono) embedded: no system font, no file outside the binary. The charts
//! are the dashboard's SVG, handed to typst as virtual files.
//!
//! Reproducible: the document date, the PDF timestamp and identifier come from the report
//! (`generated_at`, city, scope, period), never the clock, so the same data gives the same
//! bytes. All report text reaches typst as string literals, never as markup, so a register
//! value like `#exit` or `*` prints as written.

use super::data::*;
use super::html::daily_chart;
use super::text::{self, num, opt_num, pct};
use crate::i18n::Lang;
use crate::store::sqlite::report::Stat;
use chrono::{Datelike, Timelike};
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::OnceLock;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::layout::PagedDocument;
use typst::syntax::{FileId, Source, VirtualPath};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// Fonts and the standard library, loaded once per process.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let fonts: Vec<Font> = typst_assets::fonts()
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .collect();
        Shared {
            library: LazyHash::new(Library::builder().build()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
        }
    })
}

struct ReportWorld {
    main: Source,
    files: HashMap<FileId, Bytes>,
    today: Datetime,
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &shared().library
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &shared().book
    }
    fn main(&self) -> FileId {
        self.main.id()
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotFound(id.vpath().as_rootless_path().into()))
        }
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files
            .get(&id)
            .cloned()
            .ok_or_else(|| FileError::NotFound(id.vpath().as_rootless_path().into()))
    }
    fn font(&self, index: usize) -> Option<Font> {
        shared().fonts.get(index).cloned()
    }
    fn today(&self, _offset: Option<i64>) -> Option<Datetime> {
        Some(self.today)
    }
}

/// A typst string literal.
fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `#table(...)` with a header row and string cells.
fn table(
    out: &mut String,
    columns: &str,
    head: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) {
    let _ = write!(out, "#table(columns: {columns}, table.header(");
    for h in head {
        let _ = write!(out, "[*#{}*],", lit(h));
    }
    out.push_str("),\n");
    for row in rows {
        for cell in row {
            out.push_str(&lit(&cell));
            out.push(',');
        }
        out.push('\n');
    }
    out.push_str(")\n");
}

fn heading(out: &mut String, level: u8, s: &str) {
    let _ = writeln!(out, "#heading(level: {level}, {})", lit(s));
}

fn para(out: &mut String, s: &str) {
    let _ = writeln!(out, "#par({})\n", lit(s));
}

fn none(out: &mut String, l: Lang) {
    para(out, l.t("Tidak ada.", "None."));
}

fn stat2(s: Option<Stat>, l: Lang) -> [String; 2] {
    [opt_num(s.map(|s| s.avg), l), opt_num(s.map(|s| s.p95), l)]
}

pub fn render(d: &ReportData, l: Lang) -> anyhow::Result<Vec<u8>> {
    let src = markup(d, l);
    let main = FileId::new(None, VirtualPath::new("/report.typ"));
    let mut files = HashMap::new();
    files.insert(
        FileId::new(None, VirtualPath::new("/coverage.svg")),
        Bytes::new(daily_chart(d, l, true).into_bytes()),
    );
    files.insert(
        FileId::new(None, VirtualPath::new("/usage.svg")),
        Bytes::new(daily_chart(d, l, false).into_bytes()),
    );
    let t = d.generated_at;
    let today = Datetime::from_ymd(t.year(), t.month() as u8, t.day() as u8)
        .ok_or_else(|| anyhow::anyhow!("generated_at {t} is outside typst's calendar"))?;
    let world = ReportWorld {
        main: Source::new(main, src),
        files,
        today,
    };
    let doc: PagedDocument = typst::compile(&world)
        .output
        .map_err(|e| anyhow::anyhow!("typst: {}", diagnostics(&e)))?;
    let stamp = Datetime::from_ymd_hms(
        t.year(),
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        t.second() as u8,
    )
    .ok_or_else(|| anyhow::anyhow!("generated_at {t} is outside typst's calendar"))?;
    let ident = format!(
        "pantau {} {} {:?}",
        d.city,
        d.period,
        d.opd.as_ref().map(|o| &o.kode)
    );
    let options = typst_pdf::PdfOptions {
        ident: Smart::Custom(&ident),
        timestamp: Some(typst_pdf::Timestamp::new_utc(stamp)),
        ..Default::default()
    };
    typst_pdf::pdf(&doc, &options).map_err(|e| anyhow::anyhow!("typst pdf: {}", diagnostics(&e)))
}

fn diagnostics(e: &[typst::diag::SourceDiagnostic]) -> String {
    e.iter()
        .map(|d| d.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The typst source of the report.
pub fn markup(d: &ReportData, l: Lang) -> String {
    let s = &d.summary;
    let lines: HashMap<&str, &crate::store::RegisterLine> = d
        .appendix
        .iter()
        .map(|a| (a.line.key.as_str(), &a.line))
        .collect();
    let scope = match &d.opd {
        Some(o) => format!("{} {}", o.kode, o.nama.as_deref().unwrap_or(""))
            .trim()
            .to_string(),
        None => l
            .t("Seluruh OPD (tingkat kota)", "All OPDs (city-wide)")
            .to_string(),
    };
    let title = l.t(
        "Laporan Kondisi, Kinerja dan Utilisasi Perangkat TIK",
        "Report on the Condition, Performance and Utilization of ICT Equipment",
    );
    let mut o = String::new();
    let _ = writeln!(
        o,
        "#set document(title: {}, author: \"Pantau\")\n\
         #set page(paper: \"a4\", margin: (x: 16mm, y: 18mm), footer: context align(right, text(8pt, counter(page).display(\"1 / 1\", both: true))))\n\
         #set text(font: \"Libertinus Serif\", size: 10pt, lang: {})\n\
         #set table(stroke: 0.4pt + gray, inset: 3pt)\n\
         #show table: set text(size: 8.5pt)\n\
         #show heading.where(level: 1): it => {{ v(4pt); it; v(2pt) }}",
        lit(&format!("{title} — {scope} — {}", d.period.label(l))),
        lit(l.t("id", "en")),
    );
    // Cover.
    let _ = writeln!(
        o,
        "#align(center)[#v(3cm)#text(16pt, weight: \"bold\", {})\n\n#v(1cm)#text(20pt, weight: \"bold\", {})\n\n#v(8mm)#text(14pt, {})\n\n#text(13pt, {})\n\n#text(10pt, {})]",
        lit(&d.city),
        lit(title),
        lit(&scope),
        lit(&format!("{}: {}", l.t("Periode", "Period"), d.period.label(l))),
        lit(&format!(
            "{} – {}",
            text::local_time(d.period.start(), d.period),
            text::local_time(d.period.end(), d.period)
        )),
    );
    let _ = writeln!(o, "#v(1.5cm)");
    heading(
        &mut o,
        2,
        l.t("Dasar hukum yang dipenuhi", "Articles this report fulfils"),
    );
    for (art, id, en) in text::ARTICLES {
        let _ = writeln!(o, "- #strong({}): #{}", lit(art), lit(l.t(id, en)));
    }
    let _ = writeln!(
        o,
        "#v(1fr)\n#align(center, text(9pt, {}))\n#pagebreak()",
        lit(&format!(
            "{} {}",
            l.t("Dibuat oleh Pantau pada", "Generated by Pantau at"),
            text::local_time(d.generated_at, d.period)
        ))
    );

    // 1. Summary, on one page.
    let below: Vec<&OpdRow> = d
        .opds
        .iter()
        .filter(|x| x.coverage.ratio() < d.coverage_threshold)
        .collect();
    heading(&mut o, 1, &format!("1. {}", l.t("Ringkasan", "Summary")));
    let kv = vec![
        (
            l.t("Aset terdaftar", "Registered assets"),
            d.appendix.len().to_string(),
        ),
        (
            l.t("Aset TIK terdaftar", "Registered ICT assets"),
            s.coverage.registered_ict.to_string(),
        ),
        (
            l.t(
                "Aset yang wajib menjalankan agen",
                "Assets expected to run an agent",
            ),
            s.coverage.expected.to_string(),
        ),
        (
            l.t("Melapor dalam periode", "Reporting in the period"),
            s.coverage.reporting.to_string(),
        ),
        (
            l.t("Cakupan pelaporan", "Reporting coverage"),
            pct(s.coverage.ratio(), l),
        ),
        (
            l.t("Aset tidak melapor", "Silent assets"),
            s.coverage.silent.len().to_string(),
        ),
        (
            l.t(
                "OPD di bawah ambang cakupan",
                "OPDs below the coverage threshold",
            ),
            format!("{} ({})", below.len(), pct(d.coverage_threshold, l)),
        ),
        (
            l.t("Flag aktif dalam periode", "Flags active in the period"),
            s.flags
                .by_kind
                .values()
                .flat_map(|m| m.values())
                .sum::<u64>()
                .to_string(),
        ),
        (
            l.t("Rekomendasi ganti", "Replacement recommendations"),
            s.recommendations
                .iter()
                .filter(|r| r.action == Action::Replace)
                .count()
                .to_string(),
        ),
        (
            l.t("Rekomendasi perbaikan", "Repair recommendations"),
            s.recommendations
                .iter()
                .filter(|r| r.action == Action::Repair)
                .count()
                .to_string(),
        ),
    ];
    table(
        &mut o,
        "(auto, auto)",
        &[l.t("Angka", "Figure"), l.t("Nilai", "Value")],
        kv.into_iter().map(|(k, v)| vec![k.to_string(), v]),
    );
    heading(&mut o, 2, l.t("Catatan data", "Data notes"));
    for n in &d.notes {
        let _ = writeln!(o, "- #{}", lit(&text::note(n, d.period, l)));
    }
    o.push_str("#pagebreak()\n");

    // 2. Inventory.
    heading(
        &mut o,
        1,
        &format!(
            "2. {}",
            l.t(
                "Inventaris per kelas dan kondisi",
                "Inventory by class and condition"
            )
        ),
    );
    para(&mut o, l.t("Kondisi register (Reg.) dan kondisi saran Pantau (Saran) berdampingan: B, KB, RR, RB, – tidak ada.", "Register condition (Reg.) and Pantau's suggested condition (Sugg.) side by side: B, KB, RR, RB, – none."));
    let mut head = vec![
        l.t("Kelas", "Class").to_string(),
        l.t("Aset", "Assets").to_string(),
    ];
    for c in CONDITIONS {
        head.push(format!("{} {c}", l.t("Reg.", "Reg.")));
    }
    for c in CONDITIONS {
        head.push(format!("{} {c}", l.t("Saran", "Sugg.")));
    }
    let head_ref: Vec<&str> = head.iter().map(String::as_str).collect();
    table(
        &mut o,
        "12",
        &head_ref,
        s.inventory.iter().map(|c| {
            let mut r = vec![
                c.class.map_or("", |c| c.label(l)).to_string(),
                c.assets.to_string(),
            ];
            r.extend(
                CONDITIONS
                    .iter()
                    .map(|k| c.register.get(*k).copied().unwrap_or(0).to_string()),
            );
            r.extend(
                CONDITIONS
                    .iter()
                    .map(|k| c.suggested.get(*k).copied().unwrap_or(0).to_string()),
            );
            r
        }),
    );

    // 3. Coverage.
    heading(
        &mut o,
        1,
        &format!("3. {}", l.t("Cakupan pelaporan", "Reporting coverage")),
    );
    para(&mut o, l.t("Cakupan = aset TIK yang wajib menjalankan agen dan agennya mengirim metrik dalam periode, dibagi aset yang wajib menjalankan agen.", "Coverage = ICT assets expected to run an agent whose agent sent metrics in the period, over the assets expected to run one."));
    o.push_str("#image(\"/coverage.svg\", width: 100%)\n");
    table(
        &mut o,
        "(auto, 1fr, auto, auto, auto, auto)",
        &[
            l.t("Kode lokasi", "Location code"),
            "OPD",
            l.t("Aset TIK", "ICT assets"),
            l.t("Wajib agen", "Expected"),
            l.t("Melapor", "Reporting"),
            l.t("Cakupan", "Coverage"),
        ],
        d.opds.iter().map(|x| {
            vec![
                x.opd.kode.clone(),
                x.opd.nama.clone().unwrap_or_default(),
                x.coverage.registered_ict.to_string(),
                x.coverage.expected.to_string(),
                x.coverage.reporting.to_string(),
                pct(x.coverage.ratio(), l),
            ]
        }),
    );
    heading(
        &mut o,
        2,
        &format!(
            "{} ({}; Perwali Kotamobagu Pasal 37 ayat 3)",
            l.t("OPD di bawah ambang", "OPDs below the threshold"),
            pct(d.coverage_threshold, l)
        ),
    );
    if below.is_empty() {
        none(&mut o, l);
    }
    for x in &below {
        let _ = writeln!(
            o,
            "- #{}",
            lit(&format!(
                "{} {}: {}",
                x.opd.kode,
                x.opd.nama.as_deref().unwrap_or(""),
                pct(x.coverage.ratio(), l)
            ))
        );
    }
    heading(
        &mut o,
        2,
        &format!(
            "{} ({})",
            l.t("Aset tidak melapor", "Silent assets"),
            s.coverage.silent.len()
        ),
    );
    asset_table(&mut o, &s.coverage.silent, &lines, l);

    // 4. Utilization.
    heading(
        &mut o,
        1,
        &format!(
            "4. {}",
            l.t("Utilisasi dan ketersediaan", "Utilization and availability")
        ),
    );
    para(&mut o, l.t("Dari rata-rata per jam setiap host. Rata-rata kelas = rata-rata dari rata-rata host; p95 kelas = persentil ke-95 dari p95 host. Ketersediaan = bagian jam periode dengan data dari host.", "From each host's hourly averages. Class average = mean of host averages; class p95 = 95th percentile of the hosts' p95. Availability = share of the period's hours with data from the host."));
    o.push_str("#image(\"/usage.svg\", width: 100%)\n");
    table(
        &mut o,
        "9",
        &[
            l.t("Kelas", "Class"),
            "Host",
            "CPU avg",
            "CPU p95",
            l.t("Mem. avg", "Mem. avg"),
            "Mem. p95",
            "Disk avg",
            "Disk p95",
            l.t("Ketersediaan", "Availability"),
        ],
        s.usage.iter().map(|u| {
            let mut r = vec![
                u.class.map_or("", |c| c.label(l)).to_string(),
                u.hosts.to_string(),
            ];
            r.extend(stat2(u.cpu, l));
            r.extend(stat2(u.mem, l));
            r.extend(stat2(u.disk, l));
            r.push(pct(u.availability, l));
            r
        }),
    );
    for (name, list) in [
        (
            l.t(
                "Kurang dimanfaatkan (kandidat relokasi)",
                "Under-used (relocation candidates)",
            ),
            &s.underused,
        ),
        (
            l.t(
                "Beban berlebih (kandidat peningkatan)",
                "Over-used (upgrade candidates)",
            ),
            &s.overused,
        ),
    ] {
        heading(&mut o, 2, &format!("{name} ({})", list.len()));
        if list.is_empty() {
            none(&mut o, l);
            continue;
        }
        table(
            &mut o,
            "(auto, 1fr, auto, auto, auto, auto)",
            &[
                l.t("Aset", "Asset"),
                l.t("Nama barang", "Item"),
                "Host",
                "CPU p95",
                "Mem. p95",
                "Disk avg",
            ],
            list.iter().map(|c| {
                vec![
                    c.key.clone(),
                    lines
                        .get(c.key.as_str())
                        .map_or(String::new(), |x| x.nama_barang.clone()),
                    c.agent_id.clone(),
                    num(c.cpu_p95, 1, l),
                    num(c.mem_p95, 1, l),
                    num(c.disk_avg, 1, l),
                ]
            }),
        );
    }

    // 5. Network.
    heading(
        &mut o,
        1,
        &format!(
            "5. {}",
            l.t(
                "Kesehatan jaringan dan layanan e-Gov per OPD",
                "Network health and e-Gov availability per OPD"
            )
        ),
    );
    table(
        &mut o,
        "(auto, auto, auto, 1fr)",
        &[
            "OPD",
            l.t("Loss gateway (%)", "Gateway loss (%)"),
            l.t("RTT gateway (ms)", "Gateway RTT (ms)"),
            l.t("Ketersediaan layanan e-Gov", "e-Gov service availability"),
        ],
        d.opds.iter().map(|x| {
            let n = x.net.as_ref();
            vec![
                x.opd.kode.clone(),
                opt_num(n.and_then(|n| n.gateway_loss_pct), l),
                opt_num(n.and_then(|n| n.gateway_rtt_ms), l),
                n.map_or("–".into(), |n| {
                    n.services
                        .iter()
                        .map(|(k, v)| format!("{k}: {}", pct(*v, l)))
                        .collect::<Vec<_>>()
                        .join(", ")
                }),
            ]
        }),
    );

    // 6. Flags.
    heading(
        &mut o,
        1,
        &format!(
            "6. {}",
            l.t("Flag per jenis dan status", "Flags by kind and status")
        ),
    );
    table(
        &mut o,
        "(1fr, auto, auto, auto)",
        &[
            l.t("Jenis", "Kind"),
            l.t("terbuka", "open"),
            l.t("diketahui", "acknowledged"),
            l.t("selesai", "resolved"),
        ],
        s.flags.by_kind.iter().map(|(k, st)| {
            let mut r = vec![text::flag_kind(k, l)];
            r.extend(
                ["open", "acknowledged", "resolved"]
                    .iter()
                    .map(|x| st.get(*x).copied().unwrap_or(0).to_string()),
            );
            r
        }),
    );
    heading(&mut o, 2, l.t("Flag terbuka teratas", "Top open flags"));
    table(
        &mut o,
        "(auto, auto, 1fr, auto)",
        &[
            l.t("Jenis", "Kind"),
            l.t("Subjek", "Subject"),
            l.t("Ringkasan", "Summary"),
            l.t("Pasal", "Article"),
        ],
        s.flags.top.iter().map(|f| {
            vec![
                text::flag_kind(&f.kind, l),
                f.subject.clone(),
                f.summary.clone(),
                f.article.clone(),
            ]
        }),
    );

    // 7. Changes.
    heading(
        &mut o,
        1,
        &format!(
            "7. {}",
            l.t(
                "Perubahan sejak periode sebelumnya",
                "Changes since the previous period"
            )
        ),
    );
    let c = &s.changes;
    heading(
        &mut o,
        2,
        &format!(
            "{} ({})",
            l.t("Aset baru di register", "New in the register"),
            c.added.len()
        ),
    );
    asset_table(&mut o, &c.added, &lines, l);
    heading(
        &mut o,
        2,
        &format!(
            "{} ({})",
            l.t("Dihapus dari register", "Removed from the register"),
            c.removed.len()
        ),
    );
    for k in &c.removed {
        let _ = writeln!(o, "- #{}", lit(k));
    }
    heading(
        &mut o,
        2,
        &format!(
            "{} ({})",
            l.t(
                "Melapor periode lalu, tidak periode ini",
                "Reported last period, not this one"
            ),
            c.missing.len()
        ),
    );
    asset_table(&mut o, &c.missing, &lines, l);
    heading(
        &mut o,
        2,
        &format!("{} ({})", l.t("Pindah", "Moved"), c.moved.len()),
    );
    for (k, a, b) in &c.moved {
        let _ = writeln!(o, "- #{}", lit(&format!("{k}: {a} → {b}")));
    }
    heading(
        &mut o,
        2,
        &format!(
            "{} ({})",
            l.t("Perubahan perangkat keras", "Hardware changes"),
            c.hardware.len()
        ),
    );
    for (k, what) in &c.hardware {
        let _ = writeln!(o, "- #{}", lit(&format!("{k}: {what}")));
    }

    // 8. Recommendations.
    heading(
        &mut o,
        1,
        &format!("8. {}", l.t("Rekomendasi", "Recommendations")),
    );
    para(&mut o, l.t("Ganti: Rusak Berat (register atau saran) atau umur melewati masa manfaat kelasnya (4 tahun untuk peralatan komputer). Perbaiki: Rusak Ringan.", "Replace: Rusak Berat (register or suggested) or older than the class's useful life (4 years for computer equipment). Repair: Rusak Ringan."));
    if s.recommendations.is_empty() {
        none(&mut o, l);
    } else {
        table(
            &mut o,
            "(auto, auto, auto, 1fr)",
            &[
                l.t("Tindakan", "Action"),
                l.t("Aset", "Asset"),
                l.t("Nama barang", "Item"),
                l.t("Alasan", "Reasons"),
            ],
            s.recommendations.iter().map(|r| {
                vec![
                    text::action(r.action, l).to_string(),
                    r.key.clone(),
                    lines
                        .get(r.key.as_str())
                        .map_or(String::new(), |x| x.nama_barang.clone()),
                    r.reasons
                        .iter()
                        .map(|x| text::reason(x, l))
                        .collect::<Vec<_>>()
                        .join("; "),
                ]
            }),
        );
    }

    // 9. Signatures.
    heading(
        &mut o,
        1,
        &format!("9. {}", l.t("Pengesahan", "Signatures")),
    );
    let head_of = if d.opd.is_some() {
        l.t("Kepala OPD", "Head of the OPD")
    } else {
        l.t("Kepala Dinas Kominfo", "Head of Diskominfo")
    };
    let _ = writeln!(
        o,
        "#v(8mm)#grid(columns: (1fr, 1fr), gutter: 2cm, align(center)[#{}\\ #{}#v(2.5cm)#line(length: 80%)#{}], align(center)[#{}\\ #{}#v(2.5cm)#line(length: 80%)#{}])",
        lit(l.t("Dibuat oleh", "Prepared by")), lit(l.t("Pengelola TIK OPD", "OPD ICT officer")), lit(l.t("Nama / NIP", "Name / NIP")),
        lit(l.t("Mengetahui", "Acknowledged by")), lit(head_of), lit(l.t("Nama / NIP", "Name / NIP")),
    );

    // Appendix.
    o.push_str("#pagebreak()\n#set page(flipped: true)\n");
    heading(
        &mut o,
        1,
        l.t("Lampiran: daftar aset", "Appendix: every asset"),
    );
    table(
        &mut o,
        "(auto, auto, auto, auto, auto, auto, auto, auto, auto, auto, 1fr)",
        &[
            l.t("Kode lokasi", "Location"),
            l.t("Kode barang", "Item code"),
            l.t("No. reg", "Reg. no"),
            l.t("Nama barang", "Item"),
            l.t("Merk/tipe", "Make/type"),
            l.t("Tahun", "Year"),
            l.t("Kond. reg.", "Reg. cond."),
            l.t("Kond. saran", "Sugg. cond."),
            "Host",
            l.t("Jam aktif", "Active h"),
            l.t("Bukti", "Evidence"),
        ],
        d.appendix.iter().map(|a| {
            vec![
                a.line.kode_lokasi.clone(),
                a.line.kode_barang.clone(),
                a.line.nomor_register.clone(),
                a.line.nama_barang.clone(),
                format!("{} {}", a.line.merk, a.line.tipe),
                a.line
                    .tahun_perolehan
                    .map(|y| y.to_string())
                    .unwrap_or_default(),
                a.line.kondisi.map_or("–", |c| c.code()).to_string(),
                a.line
                    .suggested_kondisi
                    .map_or("–", |c| c.code())
                    .to_string(),
                a.line
                    .hostname
                    .clone()
                    .or(a.line.agent_id.clone())
                    .unwrap_or_else(|| "–".into()),
                a.active_hours
                    .map(|h| h.to_string())
                    .unwrap_or_else(|| "–".into()),
                a.line.suggestion_evidence.join("; "),
            ]
        }),
    );
    o
}

fn asset_table(
    o: &mut String,
    keys: &[String],
    lines: &HashMap<&str, &crate::store::RegisterLine>,
    l: Lang,
) {
    if keys.is_empty() {
        none(o, l);
        return;
    }
    table(
        o,
        "(auto, 1fr, auto, auto)",
        &[
            l.t("Aset", "Asset"),
            l.t("Nama barang", "Item"),
            l.t("Ruangan", "Room"),
            l.t("Pemegang", "Holder"),
        ],
        keys.iter().map(|k| {
            let x = lines.get(k.as_str());
            vec![
                k.clone(),
                x.map_or(String::new(), |x| x.nama_barang.clone()),
                x.map_or(String::new(), |x| x.ruangan.clone()),
                x.map_or(String::new(), |x| x.pemegang.clone()),
            ]
        }),
    );
}
