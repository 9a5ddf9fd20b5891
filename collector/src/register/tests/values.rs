//! Single values: the documented examples of each rule, and their refusals.

use crate::register::table::Cell;
use crate::register::values::*;
use crate::register::Condition;

#[test]
fn rupiah_formats() {
    let cases = [
        ("12450000", 12_450_000),
        ("Rp 12.450.000,00", 12_450_000),
        ("Rp. 12.450.000,-", 12_450_000),
        ("rp12.450.000", 12_450_000),
        ("10.250.000,00", 10_250_000),
        ("12,450,000.00", 12_450_000),
        ("IDR 12,450,000", 12_450_000),
        ("2.150", 2_150),
        ("2,150", 2_150),
        ("12450000,5", 12_450_001),
        ("12450000.49", 12_450_000),
        ("1.234.567,89", 1_234_568),
        ("0", 0),
        ("1\u{a0}500\u{a0}000", 1_500_000),
    ];
    for (raw, want) in cases {
        assert_eq!(parse_rupiah(raw), Ok(Some(want)), "{raw}");
    }
    for blank in ["", " ", "-", "Rp -"] {
        assert_eq!(parse_rupiah(blank), Ok(None), "{blank:?}");
    }
    for bad in [
        "1234.567",
        "12.45.000",
        "1,2.3",
        "-5",
        "(5)",
        "12 juta",
        "1.000.000,00,00",
        ",5",
        "5,",
    ] {
        assert!(parse_rupiah(bad).is_err(), "{bad}");
    }
    assert!(parse_rupiah("99999999999999999999")
        .unwrap_err()
        .contains("too large"));
}

#[test]
fn rupiah_cells_from_spreadsheets() {
    assert_eq!(
        rupiah_from_cell(&Cell::Float(12_450_000.0)),
        Ok(Some(12_450_000))
    );
    assert_eq!(rupiah_from_cell(&Cell::Float(1234.567)), Ok(Some(1235)));
    assert_eq!(rupiah_from_cell(&Cell::Int(7)), Ok(Some(7)));
    assert!(rupiah_from_cell(&Cell::Float(-1.0)).is_err());
    assert!(rupiah_from_cell(&Cell::Date { year: 2021 }).is_err());
}

#[test]
fn years_from_years_dates_and_serials() {
    let cases = [
        ("2021", 2021),
        ("12/03/2021", 2021),
        ("03/25/2021", 2021),
        ("12-03-2021", 2021),
        ("12.03.2021", 2021),
        ("2021-03-12", 2021),
        ("2021/03/12", 2021),
        ("2021-03-12 00:00:00", 2021),
        ("2021-03-12T08:30:00", 2021),
        ("12 Maret 2021", 2021),
        ("1 Agustus 2019", 2019),
        ("12-Mar-2021", 2021),
        ("44267", 2021),
    ];
    for (raw, want) in cases {
        assert_eq!(parse_year(raw), Ok(Some(want)), "{raw}");
    }
    assert_eq!(parse_year(" "), Ok(None));
    for bad in [
        "21",
        "20211",
        "1850",
        "31/02/2021",
        "13/13/2021",
        "2021-13-01",
        "Maret 2021",
        "kemarin",
    ] {
        assert!(parse_year(bad).is_err(), "{bad}");
    }
    assert_eq!(year_from_cell(&Cell::Date { year: 2020 }), Ok(Some(2020)));
    assert_eq!(year_from_cell(&Cell::Float(44267.0)), Ok(Some(2021)));
    assert_eq!(year_from_cell(&Cell::Int(2018)), Ok(Some(2018)));
    assert_eq!(year_from_cell(&Cell::Empty), Ok(None));
    assert!(year_from_cell(&Cell::Float(2021.5)).is_err());
}

#[test]
fn conditions_codes_words_and_simda_numbers() {
    use Condition::*;
    let cases = [
        ("B", Baik),
        ("baik", Baik),
        ("1", Baik),
        ("KB", KurangBaik),
        ("Kurang Baik", KurangBaik),
        ("K.B.", KurangBaik),
        ("2", KurangBaik),
        ("rr", RusakRingan),
        ("RUSAK RINGAN", RusakRingan),
        ("RB", RusakBerat),
        ("Rusak-Berat", RusakBerat),
        ("3", RusakBerat),
    ];
    for (raw, want) in cases {
        assert_eq!(parse_condition(raw), Ok(Kondisi::Known(want)), "{raw}");
    }
    assert_eq!(parse_condition("4"), Ok(Kondisi::Status("Hilang")));
    assert_eq!(
        parse_condition("Tidak Ditemukan"),
        Ok(Kondisi::Status("Tidak Ditemukan"))
    );
    assert_eq!(parse_condition("6"), Ok(Kondisi::Status("Lainnya")));
    assert_eq!(parse_condition(""), Ok(Kondisi::Blank));
    for bad in ["Rusak", "7", "0", "bagus"] {
        assert!(parse_condition(bad).is_err(), "{bad}");
    }
}

#[test]
fn jumlah_counts() {
    assert_eq!(jumlah_from_cell(&Cell::Text("4".into())), Ok(Some(4)));
    assert_eq!(jumlah_from_cell(&Cell::Text("2 unit".into())), Ok(Some(2)));
    assert_eq!(jumlah_from_cell(&Cell::Float(3.0)), Ok(Some(3)));
    assert_eq!(jumlah_from_cell(&Cell::Empty), Ok(None));
    assert!(jumlah_from_cell(&Cell::Text("0".into())).is_err());
    assert!(jumlah_from_cell(&Cell::Text("banyak".into())).is_err());
}
