//! Whole files through the public entry points: the shared samples, messy exports, and
//! every kind of refusal with its exact `file:line:column`.

mod props;
mod refusals;
mod samples;
mod values;
mod xlsx;

use super::*;

pub(super) const HEAD: &str = "kode_lokasi,kode_barang,nomor_register";

pub(super) fn csv(name: &str, bytes: &[u8]) -> Parsed {
    match parse_csv(name, bytes) {
        Ok(parsed) => parsed,
        Err(e) => panic!("{name} refused:\n{e}"),
    }
}

/// The diagnostics of a refused file, as displayed.
pub(super) fn refused(name: &str, bytes: &[u8]) -> Vec<String> {
    match parse_bytes(name, bytes) {
        Ok(p) => panic!("{name} accepted with {} rows", p.rows.len()),
        Err(ParseErrors(d)) => d.iter().map(ToString::to_string).collect(),
    }
}

pub(super) fn shown(diags: &[Diagnostic]) -> Vec<String> {
    diags.iter().map(ToString::to_string).collect()
}

/// The fields that differ between rows of one fixture, for compact expectations.
pub(super) type Summary<'a> = (
    &'a str,
    &'a str,
    Option<i32>,
    Option<i64>,
    Option<Condition>,
    usize,
);

pub(super) fn summary(rows: &[AssetRow]) -> Vec<Summary<'_>> {
    rows.iter()
        .map(|r| {
            (
                r.kode_barang.as_str(),
                r.nomor_register.as_str(),
                r.tahun_perolehan,
                r.harga_rupiah,
                r.kondisi,
                r.source_line,
            )
        })
        .collect()
}
