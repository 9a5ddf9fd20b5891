//! Property tests for the parsers a person's typing reaches: amounts, kode barang, and the
//! CSV reader as a whole.

use crate::register::kode::{normalize_kode_barang, parse_registers, KODE_WIDTHS};
use crate::register::parse_csv;
use crate::register::values::{parse_condition, parse_rupiah, parse_year};
use proptest::prelude::*;

/// `n` with `sep` between groups of three digits.
fn grouped(n: i64, sep: &str) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

fn styles(n: i64) -> Vec<String> {
    vec![
        n.to_string(),
        format!("{n},00"),
        format!("{n}.00"),
        grouped(n, "."),
        format!("{},00", grouped(n, ".")),
        format!("Rp {},00", grouped(n, ".")),
        format!("Rp. {},-", grouped(n, ".")),
        grouped(n, ","),
        format!("{}.00", grouped(n, ",")),
        format!("IDR {}", grouped(n, ",")),
    ]
}

proptest! {
    #[test]
    fn rupiah_round_trips_whole_amounts(n in 0i64..1_000_000_000_000_000) {
        for text in styles(n) {
            prop_assert_eq!(parse_rupiah(&text), Ok(Some(n)), "{}", text);
        }
    }

    #[test]
    fn rupiah_rounds_cents_half_up(n in 0i64..1_000_000_000_000, cents in 0i64..100) {
        let text = format!("{},{cents:02}", grouped(n, "."));
        prop_assert_eq!(parse_rupiah(&text), Ok(Some(n + i64::from(cents >= 50))));
    }

    #[test]
    fn value_parsers_never_panic(s in "(\\PC|[0-9 ./,-]){0,24}") {
        let _ = parse_registers(&s);
        let _ = normalize_kode_barang(&s);
        let _ = parse_rupiah(&s);
        let _ = parse_year(&s);
        let _ = parse_condition(&s);
    }

    #[test]
    fn kode_barang_from_levels_is_normalized_and_idempotent(
        levels in proptest::collection::vec(0u32..1000, 7),
        pad in proptest::collection::vec(any::<bool>(), 7),
        trailing_dot in any::<bool>(),
    ) {
        let levels: Vec<u32> = levels.iter().zip(KODE_WIDTHS).map(|(v, w)| v % 10u32.pow(w as u32)).collect();
        let mut raw: Vec<String> = levels
            .iter()
            .zip(KODE_WIDTHS)
            .zip(&pad)
            .map(|((v, w), p)| if *p { format!("{v:0w$}") } else { v.to_string() })
            .collect();
        if trailing_dot {
            raw.last_mut().unwrap().push('.');
        }
        let once = normalize_kode_barang(&raw.join(".")).unwrap();
        let want: Vec<String> = levels.iter().zip(KODE_WIDTHS).map(|(v, w)| format!("{v:0w$}")).collect();
        prop_assert_eq!(&once, &want.join("."));
        prop_assert_eq!(normalize_kode_barang(&once), Ok(once.clone()));
        prop_assert_eq!(normalize_kode_barang(&once.replace('.', "")), Ok(once.clone()));
    }

    #[test]
    fn kode_barang_normalization_is_idempotent_on_any_input(s in "[0-9. ]{0,24}") {
        if let Ok(once) = normalize_kode_barang(&s) {
            prop_assert_eq!(normalize_kode_barang(&once), Ok(once.clone()));
        }
    }

    #[test]
    fn csv_parser_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_csv("fuzz.csv", &bytes);
    }

    /// Bytes that reach the row builder: a valid header, then lines of register-ish cells
    /// with quotes, separators and line breaks in random places.
    #[test]
    fn csv_parser_never_panics_below_a_header(
        body in proptest::collection::vec("[0-9a-zA-Z .,;/\"\r\n\t-]{0,40}", 0..20),
        sep in prop::sample::select(vec![",", ";", "\t"]),
        bom in any::<bool>(),
    ) {
        let header = ["kode_lokasi", "kode_barang", "nomor_register", "harga", "kondisi", "tahun_perolehan", "Merk / Type"].join(sep);
        let mut text = if bom { "\u{feff}".to_string() } else { String::new() };
        text.push_str(&header);
        text.push('\n');
        text.push_str(&body.join("\n"));
        if let Err(errors) = parse_csv("fuzz.csv", text.as_bytes()) {
            prop_assert!(!errors.0.is_empty());
        }
    }
}
