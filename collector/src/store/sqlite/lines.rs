//! The register as the export and asset views show it: each current asset with its
//! reconciliation state.

use super::super::RegisterLine;
use crate::register::Condition;
use rusqlite::{params, Connection};

fn condition(code: Option<String>) -> Option<Condition> {
    code.as_deref().and_then(Condition::from_code)
}

pub fn register_lines(c: &Connection, opd: Option<&str>) -> anyhow::Result<Vec<RegisterLine>> {
    let mut stmt = c.prepare_cached(
        "SELECT key, kode_lokasi, json_extract(row, '$.nama_opd'), kode_barang, nama_barang,
                nomor_register, nibar, merk, tipe, tahun_perolehan, nomor_pabrik, harga_rupiah,
                kondisi, ruangan, pemegang, keterangan
         FROM assets
         WHERE removed_at IS NULL AND (?1 IS NULL OR kode_lokasi = ?1)
         ORDER BY kode_lokasi, kode_barang, nomor_register",
    )?;
    let rows = stmt.query_map(params![opd], |r| {
        Ok(RegisterLine {
            key: r.get(0)?,
            kode_lokasi: r.get(1)?,
            nama_opd: r.get(2)?,
            kode_barang: r.get(3)?,
            nama_barang: r.get(4)?,
            nomor_register: r.get(5)?,
            nibar: r.get(6)?,
            merk: r.get(7)?,
            tipe: r.get(8)?,
            tahun_perolehan: r.get(9)?,
            nomor_pabrik: r.get(10)?,
            harga_rupiah: r.get(11)?,
            kondisi: condition(r.get(12)?),
            ruangan: r.get(13)?,
            pemegang: r.get(14)?,
            keterangan: r.get(15)?,
            match_state: "not_seen".into(),
            ..Default::default()
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
