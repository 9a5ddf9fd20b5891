//! The shared samples and messy exports that must be read, with exact values.

use super::{csv, shown, summary, HEAD};
use crate::register::*;

#[test]
fn pantau_sample_parses_exactly() {
    let p = csv(
        "register-sample.csv",
        include_bytes!("../testdata/register-sample.csv"),
    );
    assert_eq!(p.warnings, []);
    assert_eq!(p.rows.len(), 15);
    assert_eq!(
        p.rows[0],
        AssetRow {
            kode_lokasi: "82.71.02.16.01".into(),
            nama_opd: Some("Dinas Komunikasi Informatika dan Persandian".into()),
            kode_barang: "1.3.2.10.01.02.001".into(),
            nama_barang: "P.C Unit".into(),
            nomor_register: "000001".into(),
            nibar: None,
            merk: "HP".into(),
            tipe: "ProDesk 400 G7 MT".into(),
            ukuran: String::new(),
            bahan: "Campuran".into(),
            tahun_perolehan: Some(2021),
            nomor_pabrik: Some("4CE1234ABC".into()),
            asal_usul: "Pembelian".into(),
            harga_rupiah: Some(12_450_000),
            kondisi: Some(Condition::Baik),
            ruangan: "Bidang Aplikasi Informatika".into(),
            pemegang: "Rahmat H.".into(),
            keterangan: "APBD 2021".into(),
            jumlah: Some(1),
            source_line: 2,
        }
    );
    assert_eq!(p.rows[0].key(), "82.71.02.16.01|1.3.2.10.01.02.001|000001");
    let server = &p.rows[2];
    assert_eq!(
        (server.harga_rupiah, server.ukuran.as_str()),
        (Some(187_500_000), "2U")
    );
    let conditions: Vec<&str> = p.rows.iter().map(|r| r.kondisi.unwrap().code()).collect();
    assert_eq!(
        conditions,
        ["B", "KB", "B", "B", "B", "RB", "B", "B", "B", "KB", "B", "B", "B", "B", "B"]
    );
    // Placeholders are kept for matching to judge; an empty nomor pabrik is None.
    assert_eq!(
        p.rows[6].nomor_pabrik.as_deref(),
        Some("To be filled by O.E.M.")
    );
    assert_eq!(p.rows[14].nomor_pabrik, None);
    // One serial on two registers is a reconciliation flag, not a parse error.
    assert_eq!(p.rows[10].nomor_pabrik, p.rows[11].nomor_pabrik);
    assert_eq!(p.rows[14].source_line, 16);
}

#[test]
fn simda_sample_expands_ranges_and_normalizes() {
    let p = csv(
        "register-simda-style.csv",
        include_bytes!("../testdata/register-simda-style.csv"),
    );
    assert_eq!(p.warnings, []);
    assert_eq!(p.rows.len(), 4 + 1 + 1);
    let registers: Vec<&str> = p.rows.iter().map(|r| r.nomor_register.as_str()).collect();
    assert_eq!(
        registers,
        ["000001", "000002", "000003", "000004", "000005", "000001"]
    );
    for pc in &p.rows[..4] {
        assert_eq!(pc.kode_barang, "1.3.2.10.01.02.001");
        assert_eq!(
            (pc.merk.as_str(), pc.tipe.as_str()),
            ("HP", "ProDesk 400 G6")
        );
        assert_eq!(pc.harga_rupiah, Some(10_250_000));
        assert_eq!(
            (pc.tahun_perolehan, pc.nomor_pabrik.as_deref()),
            (Some(2020), None)
        );
        assert_eq!((pc.kondisi, pc.source_line), (Some(Condition::Baik), 2));
        assert_eq!(pc.keterangan, "Pengadaan 2020");
    }
    let laptop = &p.rows[4];
    assert_eq!(laptop.kode_barang, "1.3.2.10.01.02.002");
    assert_eq!(
        (laptop.merk.as_str(), laptop.tipe.as_str()),
        ("Acer", "TravelMate P214")
    );
    assert_eq!(laptop.ukuran, "14\"");
    assert_eq!(laptop.nomor_pabrik.as_deref(), Some("NXVPKSN00212345678"));
    assert_eq!(laptop.harga_rupiah, Some(13_499_000));
    assert_eq!(laptop.kondisi, Some(Condition::KurangBaik));
    let switch = &p.rows[5];
    assert_eq!(switch.kode_barang, "1.3.2.10.02.04.024");
    assert_eq!(
        (switch.nama_barang.as_str(), switch.asal_usul.as_str()),
        ("Switch", "Hibah")
    );
    assert_eq!(
        (switch.harga_rupiah, switch.kondisi),
        (Some(2_150_000), Some(Condition::RusakBerat))
    );
    assert_eq!((switch.nama_opd.as_ref(), switch.source_line), (None, 4));
}

#[test]
fn messy_export_with_bom_crlf_title_and_totals() {
    let p = csv(
        "messy.csv",
        include_bytes!("../testdata/messy-semicolon-bom-crlf.csv"),
    );
    let rows = summary(&p.rows);
    use Condition::*;
    assert_eq!(
        rows,
        [
            (
                "1.3.2.10.01.02.001",
                "000001",
                Some(2021),
                Some(9_750_000),
                Some(Baik),
                7
            ),
            (
                "1.3.2.10.01.02.001",
                "000002",
                Some(2021),
                Some(9_750_000),
                Some(Baik),
                7
            ),
            (
                "1.3.2.10.01.02.002",
                "000003",
                Some(2022),
                Some(14_250_000),
                Some(RusakRingan),
                9
            ),
            (
                "1.3.2.10.02.03.003",
                "000004",
                Some(2021),
                Some(2_650_000),
                Some(KurangBaik),
                10
            ),
            (
                "1.3.2.10.02.03.003",
                "000005",
                Some(2019),
                Some(2_650_000),
                None,
                11
            ),
        ]
    );
    let first = &p.rows[0];
    assert_eq!(first.kode_lokasi, "82.71.02.16.01");
    assert_eq!(first.tipe, "ThinkCentre; M70q");
    assert_eq!(first.keterangan, "dipakai\nbergantian");
    assert_eq!((first.nomor_pabrik.as_ref(), first.jumlah), (None, Some(2)));
    assert_eq!(p.rows[2].nomor_pabrik.as_deref(), Some("SN;123"));
    assert_eq!(
        shown(&p.warnings),
        [
            "messy.csv:1: lines above the header (line 5) were skipped",
            "messy.csv:11:11: KONDISI: SIMDA status Hilang is not a physical condition; kondisi left empty",
            "messy.csv:12: no kode lokasi, kode barang or nomor register: line skipped",
        ]
    );
}

#[test]
fn register_key_is_nibar_when_present() {
    let p = csv(
        "k.csv",
        format!("{HEAD},nibar\n82.71,1.3.2.10.01.02.001,1,\n82.71,1.3.2.10.01.02.001,2,99\n")
            .as_bytes(),
    );
    assert_eq!(p.rows[0].key(), "82.71|1.3.2.10.01.02.001|000001");
    assert_eq!(p.rows[1].key(), "99");
    assert_eq!(p.rows[1].location_key(), "82.71|1.3.2.10.01.02.001|000002");
}

#[test]
fn separators_and_header_aliases() {
    let tab = "Kode Lokasi\tKode Barang\tNomor Register\tHarga (Rp)\n82.71\t1.3.2.10.01.02.001\t000001\tRp 1.500.000\n";
    assert_eq!(
        csv("t.csv", tab.as_bytes()).rows[0].harga_rupiah,
        Some(1_500_000)
    );
    // Commas inside a name do not make a semicolon file look comma-separated.
    let semi = "Kode Lokasi;Kode Barang;No. Reg;Pemegang\n82.71;1.3.2.10.01.02.001;7;Kepala Dinas, Sekretariat\n";
    let row = &csv("s.csv", semi.as_bytes()).rows[0];
    assert_eq!(
        (row.nomor_register.as_str(), row.pemegang.as_str()),
        ("000007", "Kepala Dinas, Sekretariat")
    );
}

#[test]
fn unknown_columns_and_jumlah_mismatch_are_warnings() {
    let text = format!("{HEAD},Warna,jumlah\n82.71,1.3.2.10.01.02.001,1 s/d 3,hitam,2\n82.71,3.1.1.01.01.01.001,9,,\n");
    let p = csv("w.csv", text.as_bytes());
    assert_eq!(p.rows.len(), 4);
    assert_eq!(
        shown(&p.warnings),
        [
            "w.csv:1:4: column \"Warna\" is not a register field; ignored",
            "w.csv:2:5: jumlah: jumlah 2 but the nomor register covers 3",
            "w.csv:3:2: kode_barang: 3.1.1.01.01.01.001 is not Peralatan dan Mesin (KIB B, 1.3.2.*)",
        ]
    );
}

#[test]
fn parse_file_reads_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Register.CSV");
    std::fs::write(
        &path,
        include_bytes!("../testdata/register-simda-style.csv"),
    )
    .unwrap();
    assert_eq!(parse_file(&path).unwrap().rows.len(), 6);
    let missing = parse_file(&dir.path().join("none.csv")).unwrap_err();
    assert!(
        missing
            .to_string()
            .starts_with("none.csv: cannot read the file: "),
        "{missing}"
    );
}
