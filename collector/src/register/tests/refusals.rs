//! Files that must be refused, with every problem at its exact place.

use super::{refused, HEAD};

#[test]
fn every_bad_row_is_reported_and_no_rows_returned() {
    let errors = refused("bad-rows.csv", include_bytes!("../testdata/bad-rows.csv"));
    assert_eq!(
        errors,
        [
            "bad-rows.csv:3:2: kode_barang: \"1.3.2.10.01.02\" has 6 levels; a Permendagri 108 \
             kode barang has 7 (widths 1.1.1.2.2.2.3, e.g. 1.3.2.10.01.02.001)",
            "bad-rows.csv:4:5: tahun_perolehan: 20211 is neither a year nor an Excel date",
            "bad-rows.csv:4:7: kondisi: \"Bagus\" is not a kondisi: use B, KB, RR, RB, the words \
             (Baik, Kurang Baik, Rusak Ringan, Rusak Berat) or a SIMDA code 1-6",
            "bad-rows.csv:5:1: kode_lokasi: kode lokasi is empty",
            "bad-rows.csv:6:3: nomor_register: duplicate register: the same kode lokasi, kode \
             barang and nomor register (82.71.02.16.01|1.3.2.10.01.02.001|000001) as on line 2",
            "bad-rows.csv:7:6: harga: \"1234.567\": digit groups are not in threes, so '.' is \
             ambiguous; write the amount without separators",
        ]
    );
}

#[test]
fn missing_required_column_names_the_header_line() {
    let errors = refused(
        "missing-column.csv",
        include_bytes!("../testdata/missing-column.csv"),
    );
    assert_eq!(
        errors,
        ["missing-column.csv:1: the header on this line lacks required column(s): Kode Barang"]
    );
}

#[test]
fn duplicate_keys_name_the_first_line() {
    let errors = refused(
        "duplicate-key.csv",
        include_bytes!("../testdata/duplicate-key.csv"),
    );
    let same = "duplicate register: the same kode lokasi, kode barang and nomor register";
    assert_eq!(
        errors,
        [
            "duplicate-key.csv:3:4: nibar: duplicate register: the same NIBAR (1100123) as on line 2"
                .to_string(),
            format!("duplicate-key.csv:5:3: nomor_register: {same} (82.71.02.16.01|1.3.2.10.01.02.001|000001) as on line 2"),
            format!("duplicate-key.csv:5:3: nomor_register: {same} (82.71.02.16.01|1.3.2.10.01.02.001|000002) as on line 3"),
            format!("duplicate-key.csv:5:3: nomor_register: {same} (82.71.02.16.01|1.3.2.10.01.02.001|000003) as on line 4"),
        ]
    );
}

#[test]
fn not_utf8_is_refused_with_the_place() {
    let errors = refused("w.csv", b"kode_lokasi,kode_barang,nomor_register,nama_barang\n82.71,1.3.2.10.01.02.001,1,Kursi Caf\xe9\n");
    assert_eq!(
        errors,
        ["w.csv:2:4: not UTF-8 text (byte 0xE9 after \"Kursi Caf\"); save the file as \"CSV UTF-8\""]
    );
    let errors = refused("u.csv", b"\xff\xfek\x00");
    assert_eq!(
        errors,
        ["u.csv: the file is UTF-16 (Excel's \"Unicode Text\"); save it as \"CSV UTF-8\""]
    );
}

#[test]
fn an_unclosed_quote_does_not_swallow_rows_silently() {
    let text = format!("{HEAD},keterangan\n82.71,1.3.2.10.01.02.001,1,\"rusak\n82.71,1.3.2.10.01.02.001,2,ok\n82.71,1.3.2.10.01.02.001,3,ok\n");
    let errors = refused("q.csv", text.as_bytes());
    assert_eq!(
        errors,
        ["q.csv:2:4: a quoted value here runs over the following lines (a missing closing \")"]
    );
}

#[test]
fn structural_refusals() {
    let cases: &[(&str, &str)] = &[
        ("", "e.csv: the file is empty"),
        ("kode_lokasi,kode_barang,nomor_register\n", "e.csv: no register rows below the header"),
        ("nama,warna\n1,2\n", "e.csv: no header found in the first 30 lines; a register needs columns Kode Lokasi, Kode Barang, Nomor Register"),
        (
            "nama,harga\n1,2\n",
            "e.csv:1: the header on this line lacks required column(s): Kode Lokasi, Kode Barang, Nomor Register",
        ),
        ("kode_lokasi,kode_barang,nomor_register\n82.71,1.3.2.10.01.02.001,1,12,450\n",
         "e.csv:2:4: a value right of the last header column (an unquoted separator inside a value?)"),
        ("kode_lokasi,kode_barang,nomor_register,harga,Nilai Perolehan\n",
         "e.csv:1:5: columns 4 (\"harga\") and 5 (\"Nilai Perolehan\") both mean harga; keep one"),
        ("kode_lokasi,kode_barang,nomor_register,nibar\n82.71,1.3.2.10.01.02.001,1-2,5\n",
         "e.csv:2:4: nibar: one NIBAR on a register range: NIBAR belongs to one asset"),
        ("kode_lokasi,kode_barang,nomor_register\n82.71,1.3.2.10.01.02.001,1 s/d 10001\n",
         "e.csv:2:3: nomor_register: \"1 s/d 10001\" covers 10001 registers; at most 10000 per line"),
    ];
    for (text, want) in cases {
        assert_eq!(
            refused("e.csv", text.as_bytes())
                .first()
                .map(String::as_str),
            Some(*want),
            "{text:?}"
        );
    }
    assert_eq!(
        refused("r.pdf", b"x"),
        ["r.pdf: unsupported file type \"pdf\": use .csv, .xlsx, .xls or .ods"]
    );
}
