//! Exports read back: the workbook through calamine, both formats through Pantau's own
//! import parser (same register keys), and the shared samples through a real SqliteStore.

use super::xlsx::sheet_name;
use super::*;
use crate::register::{parse_bytes, parse_csv, Parsed};
use crate::store::sqlite::SqliteStore;
use calamine::{open_workbook_auto_from_rs, Data, Range, Reader};
use chrono::TimeZone;
use std::collections::HashSet;
use std::io::Cursor;

const DISKOMINFO: &str = "82.71.02.16.01";
const DINKES: &str = "82.71.03.02.01";

fn options(lang: Lang) -> Options {
    Options {
        lang,
        delimiter: b';',
        generated_at: Utc.with_ymd_and_hms(2025, 3, 1, 2, 0, 0).unwrap(),
    }
}

/// Two OPDs; the first asset has everything reconciliation can fill in, and values that
/// need quoting in a CSV (`;`, `"`, a line break).
fn lines() -> Vec<RegisterLine> {
    let pc = RegisterLine {
        key: format!("{DISKOMINFO}|1.3.2.10.01.02.001|000001"),
        kode_lokasi: DISKOMINFO.into(),
        nama_opd: Some("Dinas Komunikasi Informatika dan Persandian".into()),
        kode_barang: "1.3.2.10.01.02.001".into(),
        nama_barang: "P.C Unit".into(),
        nomor_register: "000001".into(),
        merk: "HP".into(),
        tipe: "ProDesk 400 G7 MT".into(),
        ukuran: "-".into(),
        bahan: "Campuran".into(),
        asal_usul: "Pembelian".into(),
        tahun_perolehan: Some(2021),
        nomor_pabrik: Some("4CE1234ABC".into()),
        harga_rupiah: Some(12_450_000),
        kondisi: Some(Condition::Baik),
        ruangan: "Bidang Aplikasi; Lt. 2".into(),
        pemegang: "Rahmat H.".into(),
        keterangan: "APBD 2021\n\"hibah\" pusat".into(),
        match_state: "matched".into(),
        agent_id: Some("kominfo-pc001".into()),
        hostname: Some("KOMINFO-PC001".into()),
        match_rule: Some("serial".into()),
        last_seen: Some(Utc.with_ymd_and_hms(2025, 2, 28, 7, 30, 5).unwrap()),
        observed_serial: Some("4CE1234ABC".into()),
        observed_vendor: Some("HP".into()),
        observed_model: Some("HP ProDesk 400 G7".into()),
        suggested_kondisi: Some(Condition::RusakRingan),
        suggestion_evidence: vec![
            "disk SMART: 12 reallocated sectors".into(),
            "battery 40%".into(),
        ],
        open_flags: vec![
            "condition_discrepancy".into(),
            "unauthorized_software".into(),
        ],
        ..Default::default()
    };
    let laptop = RegisterLine {
        key: "1100123".into(),
        nibar: Some("1100123".into()),
        kode_barang: "1.3.2.10.01.02.002".into(),
        nama_barang: "Lap Top".into(),
        nomor_register: "000003".into(),
        harga_rupiah: None,
        kondisi: Some(Condition::KurangBaik),
        match_state: "silent".into(),
        ..pc.clone()
    };
    let dinkes = RegisterLine {
        key: format!("{DINKES}|1.3.2.10.02.03.002|000011"),
        kode_lokasi: DINKES.into(),
        nama_opd: Some("Dinas Kesehatan".into()),
        kode_barang: "1.3.2.10.02.03.002".into(),
        nama_barang: "Monitor".into(),
        nomor_register: "000011".into(),
        match_state: "not_seen".into(),
        ..Default::default()
    };
    vec![pc, laptop, dinkes]
}

fn keys(lines: &[RegisterLine]) -> Vec<String> {
    lines.iter().map(|l| l.key.clone()).collect()
}

fn reimported(name: &str, bytes: &[u8]) -> Parsed {
    match parse_bytes(name, bytes) {
        Ok(p) => p,
        Err(e) => panic!("{name} does not re-import:\n{e}"),
    }
}

fn parsed_keys(p: &Parsed) -> Vec<String> {
    p.rows.iter().map(|r| r.key()).collect()
}

fn sheets(bytes: &[u8]) -> Vec<(String, Range<Data>)> {
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    book.sheet_names()
        .into_iter()
        .map(|n| {
            let range = book.worksheet_range(&n).unwrap();
            (n, range)
        })
        .collect()
}

fn cell(range: &Range<Data>, row: usize, col: usize) -> Data {
    range.get((row, col)).cloned().unwrap_or(Data::Empty)
}

#[test]
fn workbook_has_a_summary_and_one_sheet_per_opd() {
    let bytes = write_xlsx(&lines(), &options(Lang::Id)).unwrap();
    let sheets = sheets(&bytes);
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Ringkasan", DISKOMINFO, DINKES]);

    let (_, summary) = &sheets[0];
    assert_eq!(cell(summary, 2, 2), Data::String("Aset".into()));
    // Kode lokasi, nama, aset, cocok, perlu ditinjau, tidak melapor, tidak dipantau, beda.
    assert_eq!(cell(summary, 3, 0), Data::String(DISKOMINFO.into()));
    let counts = |row| (2..8).map(|c| cell(summary, row, c)).collect::<Vec<_>>();
    let n = |v: &[f64]| v.iter().map(|f| Data::Float(*f)).collect::<Vec<_>>();
    assert_eq!(counts(3), n(&[2.0, 1.0, 0.0, 1.0, 0.0, 2.0]));
    assert_eq!(counts(4), n(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0]));
    assert_eq!(cell(summary, 5, 0), Data::String("Jumlah".into()));
    assert_eq!(counts(5), n(&[3.0, 1.0, 0.0, 1.0, 1.0, 2.0]));

    let (_, opd) = &sheets[1];
    assert_eq!(
        cell(opd, 0, 0),
        Data::String(format!(
            "{DISKOMINFO} Dinas Komunikasi Informatika dan Persandian"
        ))
    );
    for (c, column) in COLUMNS.iter().enumerate() {
        assert_eq!(
            cell(opd, 2, c),
            Data::String(column.id.into()),
            "header {c}"
        );
    }
    let s = |v: &str| Data::String(v.into());
    let expected = [
        s(DISKOMINFO),
        s("Dinas Komunikasi Informatika dan Persandian"),
        s("1.3.2.10.01.02.001"),
        s("P.C Unit"),
        s("000001"),
        Data::Empty,
        s("HP"),
        s("ProDesk 400 G7 MT"),
        s("-"),
        s("Campuran"),
        Data::Float(2021.0),
        s("4CE1234ABC"),
        s("Pembelian"),
        Data::Float(12_450_000.0),
        s("Baik"),
        s("Bidang Aplikasi; Lt. 2"),
        s("Rahmat H."),
        s("APBD 2021\n\"hibah\" pusat"),
        s("Cocok"),
        s("kominfo-pc001"),
        s("KOMINFO-PC001"),
        s("serial"),
        Data::Empty, // a date-time; checked below
        s("4CE1234ABC"),
        s("HP / HP ProDesk 400 G7"),
        s("Rusak Ringan"),
        s("disk SMART: 12 reallocated sectors; battery 40%"),
        s("condition_discrepancy, unauthorized_software"),
    ];
    assert_eq!(expected.len(), COLUMNS.len());
    for (c, want) in expected.iter().enumerate() {
        if c == 22 {
            let Data::DateTime(t) = cell(opd, 3, c) else {
                panic!("last seen is not a date-time: {:?}", cell(opd, 3, c));
            };
            assert_eq!(t.to_ymd_hms_milli(), (2025, 2, 28, 7, 30, 5, 0));
            continue;
        }
        assert_eq!(&cell(opd, 3, c), want, "column {c} ({})", COLUMNS[c].id);
    }
    assert_eq!(cell(opd, 4, 18), s("Tidak melapor"));
    assert_eq!(cell(opd, 4, 13), Data::Empty, "no harga stays empty, not 0");
    assert_eq!(cell(&sheets[2].1, 3, 18), s("Tidak dipantau"));
}

#[test]
fn english_workbook_translates_headers_and_words_not_conditions() {
    let bytes = write_xlsx(&lines(), &options(Lang::En)).unwrap();
    let sheets = sheets(&bytes);
    assert_eq!(sheets[0].0, "Summary");
    let opd = &sheets[1].1;
    assert_eq!(cell(opd, 2, 0), Data::String("Location Code".into()));
    assert_eq!(cell(opd, 2, 18), Data::String("Match Status".into()));
    assert_eq!(cell(opd, 3, 18), Data::String("Matched".into()));
    assert_eq!(cell(opd, 3, 14), Data::String("Baik".into()));
    let again = reimported("export-en.xlsx", &bytes);
    assert_eq!(parsed_keys(&again), keys(&lines()));
}

#[test]
fn workbook_reimports_with_the_same_keys_and_values() {
    let bytes = write_xlsx(&lines(), &options(Lang::Id)).unwrap();
    let parsed = reimported("export.xlsx", &bytes);
    assert_eq!(parsed_keys(&parsed), keys(&lines()));
    let pc = &parsed.rows[0];
    assert_eq!(pc.harga_rupiah, Some(12_450_000));
    assert_eq!(pc.kondisi, Some(Condition::Baik));
    assert_eq!(pc.tahun_perolehan, Some(2021));
    assert_eq!(pc.keterangan, "APBD 2021\n\"hibah\" pusat");
    // Only the title rows and the summary sheet are worth a warning; Pantau's own columns
    // are ignored by name.
    for w in &parsed.warnings {
        assert!(
            w.message.contains("lines above the header") || w.message.contains("sheet skipped"),
            "{w}"
        );
    }
}

#[test]
fn csv_has_a_bom_semicolons_and_quotes_only_where_needed() {
    let bytes = write_csv(&lines(), &options(Lang::Id)).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM first");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.starts_with("Kode Lokasi;Nama OPD;Kode Barang;Nama Barang;Nomor Register;"));
    assert_eq!(header.split(';').count(), COLUMNS.len());
    assert!(
        text.contains("\r\n"),
        "CRLF line ends, as Excel writes them"
    );
    assert!(text.contains(";\"Bidang Aplikasi; Lt. 2\";"), "{text}");
    assert!(
        text.contains(";\"APBD 2021\n\"\"hibah\"\" pusat\";"),
        "{text}"
    );
    assert!(
        text.contains(";12450000;Baik;"),
        "harga without grouping: {text}"
    );
    assert!(text.contains(";2025-02-28 07:30:05;"), "{text}");
    assert!(text.contains(";\"disk SMART: 12 reallocated sectors; battery 40%\";"));
    assert!(text.contains(";Tidak dipantau;"));
}

#[test]
fn csv_reimports_with_the_same_keys_whatever_the_separator() {
    for (delimiter, lang) in [(b';', Lang::Id), (b',', Lang::Id), (b'\t', Lang::En)] {
        let options = Options {
            delimiter,
            ..options(lang)
        };
        let bytes = write_csv(&lines(), &options).unwrap();
        let parsed = match parse_csv("export.csv", &bytes) {
            Ok(p) => p,
            Err(e) => panic!("{} does not re-import:\n{e}", delimiter as char),
        };
        assert_eq!(parsed_keys(&parsed), keys(&lines()));
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let pc = &parsed.rows[0];
        assert_eq!(pc.ruangan, "Bidang Aplikasi; Lt. 2");
        assert_eq!(pc.harga_rupiah, Some(12_450_000));
        assert_eq!(pc.kondisi, Some(Condition::Baik));
        assert_eq!(
            pc.nama_opd.as_deref(),
            Some("Dinas Komunikasi Informatika dan Persandian")
        );
        assert_eq!(parsed.rows[1].kondisi, Some(Condition::KurangBaik));
    }
}

#[test]
fn sheet_names_fit_excel() {
    let mut used = HashSet::from(["ringkasan".to_string()]);
    assert_eq!(sheet_name("82.71.02.16.01", &mut used), "82.71.02.16.01");
    let long = "82.71.02.16.01.0001.0002.0003.0004";
    assert_eq!(
        sheet_name(long, &mut used),
        "82.71.02.16.01.0001.0002.0003.0"
    );
    assert_eq!(
        sheet_name(long, &mut used),
        "82.71.02.16.01.0001.0002.0003~2"
    );
    assert_eq!(sheet_name("a/b:c", &mut used), "a_b_c");
    assert_eq!(sheet_name("RINGKASAN", &mut used), "RINGKASAN~2");
    assert_eq!(sheet_name("", &mut used), "OPD");
}

#[test]
fn delimiters_and_file_names() {
    assert_eq!(parse_delimiter(";"), Ok(b';'));
    assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
    assert!(parse_delimiter("|").is_err());
    let day = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
    assert_eq!(
        Format::Csv.default_file_name(day),
        "register-pantau-20250301.csv"
    );
}

fn testdata(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/register/testdata")
        .join(name)
}

/// The shared samples through a real store and back: what was imported is what re-imports.
#[tokio::test]
async fn stored_samples_export_and_reimport_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("pantau.db")).unwrap();
    let mut imported = Vec::new();
    for sample in ["register-sample.csv", "register-simda-style.csv"] {
        let rows = crate::register::parse_file(&testdata(sample)).unwrap().rows;
        store.import_register(&rows, sample, false).await.unwrap();
        imported.extend(rows.iter().map(|r| r.key()));
    }
    imported.sort();
    let lines = lines_of(&store, None).await;
    assert_eq!(lines.len(), imported.len());
    for (format, name) in [(Format::Xlsx, "x.xlsx"), (Format::Csv, "x.csv")] {
        let bytes = write(format, &lines, &options(Lang::Id)).unwrap();
        let parsed = reimported(name, &bytes);
        let mut again = parsed_keys(&parsed);
        again.sort();
        assert_eq!(again, imported, "{name}");
        // Re-importing the export changes no register key and no exported value.
        let report = store
            .import_register(&parsed.rows, name, true)
            .await
            .unwrap();
        assert!(
            report.added.is_empty() && report.removed.is_empty() && report.changed.is_empty(),
            "{report:?}"
        );
    }
    let one = lines_of(&store, Some(DINKES)).await;
    assert!(!one.is_empty() && one.iter().all(|l| l.kode_lokasi == DINKES));
    let err = super::lines(&store, Some("99.99")).await.unwrap_err();
    assert!(
        err.to_string().contains("no assets with kode lokasi"),
        "{err}"
    );
}

async fn lines_of(store: &SqliteStore, opd: Option<&str>) -> Vec<RegisterLine> {
    super::lines(store, opd).await.unwrap()
}

#[tokio::test]
async fn run_writes_the_file_and_says_how_much() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("pantau.db")).unwrap();
    let rows = crate::register::parse_file(&testdata("register-sample.csv"))
        .unwrap()
        .rows;
    store.import_register(&rows, "s.csv", false).await.unwrap();
    let out = dir.path().join("r.csv");
    let said = run(&store, Format::Csv, Some(&out), None, &options(Lang::Id))
        .await
        .unwrap();
    let opds = rows
        .iter()
        .map(|r| &r.kode_lokasi)
        .collect::<HashSet<_>>()
        .len();
    assert_eq!(
        said,
        format!(
            "Ditulis ke {}: {} aset, {opds} OPD\n",
            out.display(),
            rows.len()
        )
    );
    assert!(std::fs::read(&out).unwrap().starts_with(b"\xEF\xBB\xBF"));
}
