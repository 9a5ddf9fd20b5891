//! Which header means which field. Every alias Pantau accepts lives in [`ALIASES`], and only
//! here, so `docs/register-format.md` and the code cannot drift apart: the doc's alias table is
//! checked against this one by a test.
//!
//! Headers are compared after [`normalize_header`]: lowercase, text in parentheses dropped
//! (`Harga (Rp)` is `harga`), then only ASCII letters and digits kept (`No. Reg` is `noreg`,
//! `Nama/Jenis Barang` is `namajenisbarang`). Real exports differ mostly in spacing,
//! punctuation and case, so this one rule covers most of them without fuzzy matching, which
//! could silently read a column as the wrong field.

use std::collections::HashMap;
use std::sync::OnceLock;

/// A field of the register that a column can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    KodeLokasi,
    NamaOpd,
    KodeBarang,
    NamaBarang,
    NomorRegister,
    Nibar,
    Merk,
    Tipe,
    /// SIMDA's combined `Merk / Type`, split on " / " when no separate column exists.
    MerkTipe,
    Ukuran,
    Bahan,
    TahunPerolehan,
    NomorPabrik,
    AsalUsul,
    Harga,
    Kondisi,
    Ruangan,
    Pemegang,
    Keterangan,
    Jumlah,
    /// A standard KIB B column that Pantau does not keep (row number, vehicle numbers): read
    /// without a warning, because every SIMDA export has them and warning each time is noise.
    Ignored,
}

impl Field {
    /// The name used in messages and in Pantau's own format.
    pub fn name(self) -> &'static str {
        match self {
            Field::KodeLokasi => "kode_lokasi",
            Field::NamaOpd => "nama_opd",
            Field::KodeBarang => "kode_barang",
            Field::NamaBarang => "nama_barang",
            Field::NomorRegister => "nomor_register",
            Field::Nibar => "nibar",
            Field::Merk => "merk",
            Field::Tipe => "tipe",
            Field::MerkTipe => "merk_tipe",
            Field::Ukuran => "ukuran",
            Field::Bahan => "bahan",
            Field::TahunPerolehan => "tahun_perolehan",
            Field::NomorPabrik => "nomor_pabrik",
            Field::AsalUsul => "asal_usul",
            Field::Harga => "harga",
            Field::Kondisi => "kondisi",
            Field::Ruangan => "ruangan",
            Field::Pemegang => "pemegang",
            Field::Keterangan => "keterangan",
            Field::Jumlah => "jumlah",
            Field::Ignored => "(ignored)",
        }
    }
}

/// Without these three a row has no register key, so a file lacking any of them is refused.
pub const REQUIRED: [Field; 3] = [Field::KodeLokasi, Field::KodeBarang, Field::NomorRegister];

/// Every accepted header, as people write it; compared after [`normalize_header`].
/// Sources: Pantau's own format (first alias of each field), the KIB B layout of Permendagri
/// 19/2016 as exported by SIMDA BMD, e-BMD style exports, and the headers of Pantau's own
/// export in both languages (`register/export`), so that an export re-imports.
pub const ALIASES: &[(Field, &[&str])] = &[
    (
        Field::KodeLokasi,
        &[
            "kode_lokasi",
            "Kode Lokasi",
            "Kd Lokasi",
            "Kode UPB",
            "Kode Lokasi UPB",
            "Location Code",
        ],
    ),
    (
        Field::NamaOpd,
        &[
            "nama_opd",
            "OPD",
            "Nama SKPD",
            "SKPD",
            "Nama UPB",
            "UPB",
            "Unit Kerja",
            "Nama Unit Kerja",
            "Perangkat Daerah",
            "Nama Perangkat Daerah",
            "OPD Name",
        ],
    ),
    (
        Field::KodeBarang,
        &[
            "kode_barang",
            "Kode Barang",
            "Kd Barang",
            "Kode Brg",
            "KODE ASET 108",
            "Kode Aset",
            "Kode Barang 108",
            "Item Code",
        ],
    ),
    (
        Field::NamaBarang,
        &[
            "nama_barang",
            "Nama Barang",
            "Nama/Jenis Barang",
            "Jenis/Nama Barang",
            "Jenis Barang/Nama Barang",
            "Jenis Barang",
            "Nama Aset",
            "Uraian Barang",
            "Uraian",
            "Item Name",
        ],
    ),
    (
        Field::NomorRegister,
        &[
            "nomor_register",
            "Nomor Register",
            "NO REGISTER",
            "No. Reg",
            "Nomor Reg",
            "Register",
            "Reg",
            "Register Number",
        ],
    ),
    (
        Field::Nibar,
        &["nibar", "Nomor Induk Barang", "No Induk Barang"],
    ),
    (Field::Merk, &["merk", "Merek", "Brand"]),
    (Field::Tipe, &["tipe", "Type", "Model"]),
    (
        Field::MerkTipe,
        &[
            "Merk / Type",
            "Merk/Tipe",
            "Merek/Tipe",
            "Merk dan Type",
            "Merk dan Tipe",
        ],
    ),
    (
        Field::Ukuran,
        &["ukuran", "ukuran_cc", "Ukuran/CC", "CC", "Size"],
    ),
    (Field::Bahan, &["bahan", "Material"]),
    (
        Field::TahunPerolehan,
        &[
            "tahun_perolehan",
            "Tahun Perolehan",
            "Tahun Pembelian",
            "Tahun Pengadaan",
            "Tahun",
            "Thn Perolehan",
            "Tanggal Perolehan",
            "Tgl Perolehan",
            "Tanggal Pembelian",
            "Tgl Pembelian",
            "Year Acquired",
        ],
    ),
    (
        Field::NomorPabrik,
        &[
            "nomor_pabrik",
            "Nomor Pabrik",
            "NO PABRIK",
            "Nomor Seri",
            "No Seri",
            "Serial Number",
            "SN",
        ],
    ),
    (
        Field::AsalUsul,
        &[
            "asal_usul",
            "Asal Usul",
            "Asal-usul Perolehan",
            "Cara Perolehan",
            "Origin",
        ],
    ),
    (
        Field::Harga,
        &[
            "harga",
            "Harga (Rp)",
            "Harga Rp",
            "Harga Perolehan",
            "NILAI PEROLEHAN",
            "Nilai",
            "Nilai Perolehan Rp",
            "Price",
        ],
    ),
    (
        Field::Kondisi,
        &[
            "kondisi",
            "Kondisi Barang",
            "Keadaan Barang",
            "Keadaan",
            "Kondisi Register",
            "Register Condition",
        ],
    ),
    (
        Field::Ruangan,
        &[
            "ruangan",
            "Ruang",
            "Nama Ruangan",
            "Nama Ruang",
            "Letak",
            "Room",
        ],
    ),
    (
        Field::Pemegang,
        &[
            "pemegang",
            "Pemegang Barang",
            "Nama Pemegang",
            "Penanggung Jawab",
            "Pengguna",
            "Pemakai",
            "Holder",
        ],
    ),
    (
        Field::Keterangan,
        &["keterangan", "Ket", "Catatan", "Remarks"],
    ),
    (
        Field::Jumlah,
        &["jumlah", "Jml", "Jumlah Barang", "Banyaknya", "Qty"],
    ),
    (
        Field::Ignored,
        &[
            "No",
            "No Urut",
            "Nomor Urut",
            "Nomor Rangka",
            "No Rangka",
            "Nomor Mesin",
            "No Mesin",
            "Nomor Polisi",
            "No Polisi",
            "Nomor BPKB",
            "No BPKB",
            "Satuan",
        ],
    ),
    // Pantau's own export (`register/export`) adds what reconciliation found; re-importing
    // that file must read the register columns and skip these without a warning each.
    (
        Field::Ignored,
        &[
            "Status Pencocokan",
            "Match Status",
            "Agent",
            "Hostname",
            "Aturan Pencocokan",
            "Match Rule",
            "Terakhir Terlihat (UTC)",
            "Last Seen (UTC)",
            "Nomor Pabrik Terpantau",
            "Observed Serial Number",
            "Merk/Model Terpantau",
            "Observed Make/Model",
            "Kondisi Saran",
            "Suggested Condition",
            "Bukti Kondisi",
            "Condition Evidence",
            "Flag Terbuka",
            "Open Flags",
        ],
    ),
];

/// Lowercase, drop text in parentheses, keep ASCII letters and digits.
pub fn normalize_header(raw: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in raw.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 && c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            _ => {}
        }
    }
    // A header that is nothing but a parenthesis, e.g. `(Rp)`, keeps its content.
    if out.is_empty() {
        out = raw
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
    }
    out
}

/// The field a header names, if any.
pub fn lookup(header: &str) -> Option<Field> {
    static TABLE: OnceLock<HashMap<String, Field>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut map = HashMap::new();
        for (field, names) in ALIASES {
            for name in *names {
                map.entry(normalize_header(name)).or_insert(*field);
            }
        }
        map
    });
    table.get(&normalize_header(header)).copied()
}

/// How much a line looks like the header: (required columns found, columns recognized).
pub fn header_score<S: AsRef<str>>(cells: &[S]) -> (usize, usize) {
    let fields: Vec<Field> = cells.iter().filter_map(|c| lookup(c.as_ref())).collect();
    let required = REQUIRED.iter().filter(|f| fields.contains(f)).count();
    (required, fields.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_alias_names_two_fields() {
        let mut seen: HashMap<String, Field> = HashMap::new();
        for (field, names) in ALIASES {
            for name in *names {
                let key = normalize_header(name);
                assert!(!key.is_empty(), "{name}");
                if let Some(other) = seen.insert(key.clone(), *field) {
                    assert_eq!(other, *field, "{name} ({key}) names two fields");
                }
            }
        }
    }

    #[test]
    fn every_alias_is_documented() {
        let doc = include_str!("../../../docs/register-format.md");
        for (_, names) in ALIASES {
            for name in *names {
                assert!(
                    doc.contains(&format!("`{name}`")),
                    "{name} is missing from docs/register-format.md"
                );
            }
        }
    }

    #[test]
    fn headers_from_real_exports() {
        assert_eq!(lookup("KODE ASET 108"), Some(Field::KodeBarang));
        assert_eq!(lookup("No. Reg"), Some(Field::NomorRegister));
        assert_eq!(lookup(" Harga (Rp) "), Some(Field::Harga));
        assert_eq!(lookup("Merk / Type"), Some(Field::MerkTipe));
        assert_eq!(lookup("Nama/Jenis Barang"), Some(Field::NamaBarang));
        assert_eq!(lookup("Kondisi (B, KB, RB)"), Some(Field::Kondisi));
        assert_eq!(lookup("ukuran_cc"), Some(Field::Ukuran));
        assert_eq!(lookup("Nomor Polisi"), Some(Field::Ignored));
        assert_eq!(lookup("Warna"), None);
        assert_eq!(lookup(""), None);
    }
}
