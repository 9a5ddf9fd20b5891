//! Workbooks, written in the test with rust_xlsxwriter so no binary fixture is needed.

use super::{shown, summary};
use crate::register::*;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

/// A SIMDA-like sheet with a title, a header starting at column B, and typed cells (numbers,
/// a date, a compact kode barang typed as a number); a notes sheet; and a second OPD's sheet.
fn workbook(kondisi: &str) -> Vec<u8> {
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let kib = book.add_worksheet();
    kib.set_name("KIB B").unwrap();
    kib.write_string(0, 0, "KARTU INVENTARIS BARANG (KIB) B")
        .unwrap();
    let header = [
        "Kode Lokasi",
        "Kode Barang",
        "Nomor Register",
        "Merk / Type",
        "Tahun Perolehan",
        "Nomor Pabrik",
        "Harga (Rp)",
        "Kondisi",
    ];
    for (i, h) in header.iter().enumerate() {
        kib.write_string(2, i as u16 + 1, *h).unwrap();
    }
    kib.write_string(3, 1, "82.71.02.16.01").unwrap();
    kib.write_string(3, 2, "1.3.2.10.01.02.001").unwrap();
    kib.write_number(3, 3, 1.0).unwrap();
    kib.write_string(3, 4, "HP / ProDesk 400 G7").unwrap();
    let bought = ExcelDateTime::from_ymd(2021, 3, 12).unwrap();
    kib.write_datetime_with_format(3, 5, &bought, &date)
        .unwrap();
    kib.write_number(3, 6, 123_456_789_012.0).unwrap();
    kib.write_number(3, 7, 12_450_000.0).unwrap();
    kib.write_string(3, 8, kondisi).unwrap();
    kib.write_string(4, 1, "82.71.02.16.01").unwrap();
    kib.write_number(4, 2, 132_100_102_002.0).unwrap();
    kib.write_string(4, 3, "000002 s/d 000003").unwrap();
    kib.write_string(4, 4, "Lenovo / ThinkPad E14").unwrap();
    kib.write_number(4, 5, 2022.0).unwrap();
    kib.write_string(4, 6, "-").unwrap();
    kib.write_number(4, 7, 15_975_000.5).unwrap();
    kib.write_number(4, 8, 2.0).unwrap();
    let notes = book.add_worksheet();
    notes.set_name("Catatan").unwrap();
    notes.write_string(0, 0, "Diekspor dari SIMDA BMD").unwrap();
    let dinkes = book.add_worksheet();
    dinkes.set_name("Dinkes").unwrap();
    for (i, cell) in ["kode_lokasi", "kode_barang", "nomor_register", "kondisi"]
        .iter()
        .enumerate()
    {
        dinkes.write_string(0, i as u16, *cell).unwrap();
    }
    for (i, cell) in ["82.71.03.02.01", "1.3.2.10.01.02.003", "2", "RR"]
        .iter()
        .enumerate()
    {
        dinkes.write_string(1, i as u16, *cell).unwrap();
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn every_sheet_with_a_header_is_read_with_typed_cells() {
    let p = parse_bytes("book.xlsx", &workbook("B")).unwrap();
    let rows = summary(&p.rows);
    use Condition::*;
    assert_eq!(
        rows,
        [
            (
                "1.3.2.10.01.02.001",
                "000001",
                Some(2021),
                Some(12_450_000),
                Some(Baik),
                4
            ),
            (
                "1.3.2.10.01.02.002",
                "000002",
                Some(2022),
                Some(15_975_001),
                Some(KurangBaik),
                5
            ),
            (
                "1.3.2.10.01.02.002",
                "000003",
                Some(2022),
                Some(15_975_001),
                Some(KurangBaik),
                5
            ),
            (
                "1.3.2.10.01.02.003",
                "000002",
                None,
                None,
                Some(RusakRingan),
                2
            ),
        ]
    );
    let first = &p.rows[0];
    assert_eq!(
        (first.merk.as_str(), first.tipe.as_str()),
        ("HP", "ProDesk 400 G7")
    );
    assert_eq!(first.nomor_pabrik.as_deref(), Some("123456789012"));
    assert_eq!(p.rows[1].nomor_pabrik, None);
    assert_eq!(
        shown(&p.warnings),
        [
            "book.xlsx[KIB B]:1: lines above the header (line 3) were skipped",
            "book.xlsx[Catatan]: sheet skipped: no header found in the first 30 lines; a register \
             needs columns Kode Lokasi, Kode Barang, Nomor Register",
        ]
    );
}

#[test]
fn a_bad_cell_is_reported_as_sheet_row_and_column() {
    let errors = parse_bytes("book.xlsx", &workbook("Bagus")).unwrap_err();
    let shown = errors.to_string();
    // I4: row 4, column 9 (I); the workbook's other sheets are still read and checked.
    assert!(
        shown.starts_with("book.xlsx[KIB B]:4:9: Kondisi: \"Bagus\" is not a kondisi"),
        "{shown}"
    );
    assert_eq!(errors.0.len(), 1);
    assert_eq!(errors.0[0].column_name.as_deref(), Some("Kondisi"));
}

#[test]
fn a_corrupt_workbook_is_one_clear_error() {
    let errors = parse_bytes("broken.xlsx", b"PK\x03\x04 not really a zip").unwrap_err();
    assert_eq!(errors.0.len(), 1);
    assert!(
        errors
            .to_string()
            .starts_with("broken.xlsx: not a readable workbook: "),
        "{errors}"
    );
}
