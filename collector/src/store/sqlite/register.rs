//! The asset register: a full export replaces the current picture in one transaction, and
//! every difference becomes a row of `asset_history`. Nothing is ever deleted.

use crate::register::AssetRow;
use crate::store::ImportReport;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Transaction};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// Fields of [`AssetRow`] that say where the row was in the file, not what the asset is:
/// a re-sorted export must not read as a change.
/// Properties of the source line, not of the asset: `jumlah` on a range line is the whole
/// range's count, and an export (one line per asset) writes none.
const NOT_COMPARED: &[&str] = &["source_line", "jumlah"];

/// A stored asset: its row as JSON and whether it is marked removed.
struct Stored {
    row: Map<String, Value>,
    removed: bool,
}

pub fn import(
    c: &mut Connection,
    rows: &[AssetRow],
    source: &str,
    now: DateTime<Utc>,
    dry_run: bool,
) -> anyhow::Result<ImportReport> {
    let tx = c.transaction()?;
    let report = apply(&tx, rows, source, &now.to_rfc3339())?;
    if dry_run {
        tx.rollback()?;
    } else {
        tx.commit()?;
    }
    Ok(report)
}

fn apply(
    tx: &Transaction,
    rows: &[AssetRow],
    source: &str,
    now: &str,
) -> anyhow::Result<ImportReport> {
    let mut stored = load(tx)?;
    let mut report = ImportReport::default();
    let mut seen = HashSet::with_capacity(rows.len());
    for row in rows {
        let key = row.key();
        if !seen.insert(key.clone()) {
            // The parser refuses duplicate keys; a caller that skipped it must not get a
            // half-applied row.
            anyhow::bail!("register key {key:?} appears twice in the import");
        }
        let new = to_map(row)?;
        match stored.remove(&key) {
            None => {
                upsert(tx, &key, row, &new, now)?;
                history(tx, &key, now, "added", None, Some(&new), source)?;
                report.added.push(key);
            }
            Some(old) => {
                let fields = differing(&old.row, &new);
                if old.removed {
                    upsert(tx, &key, row, &new, now)?;
                    history(
                        tx,
                        &key,
                        now,
                        "restored",
                        Some(&old.row),
                        Some(&new),
                        source,
                    )?;
                    report.restored.push((key, fields));
                } else if fields.is_empty() {
                    report.unchanged += 1;
                } else {
                    upsert(tx, &key, row, &new, now)?;
                    history(tx, &key, now, "changed", Some(&old.row), Some(&new), source)?;
                    report.changed.push((key, fields));
                }
            }
        }
    }
    // What is left was stored but is not in this export. Only locations (kode lokasi) the file
    // covers count as its scope: an OPD's own export must not mark every other OPD's assets
    // removed.
    let scope: HashSet<&str> = rows.iter().map(|r| r.kode_lokasi.as_str()).collect();
    let mut gone: Vec<(String, Stored)> = stored
        .into_iter()
        .filter(|(_, s)| {
            !s.removed
                && s.row
                    .get("kode_lokasi")
                    .and_then(|v| v.as_str())
                    .is_some_and(|l| scope.contains(l))
        })
        .collect();
    gone.sort_by(|a, b| a.0.cmp(&b.0));
    for (key, old) in gone {
        tx.execute(
            "UPDATE assets SET removed_at = ?2, updated_at = ?2 WHERE key = ?1",
            params![key, now],
        )?;
        history(tx, &key, now, "removed", Some(&old.row), None, source)?;
        report.removed.push(key);
    }
    Ok(report)
}

fn load(tx: &Transaction) -> anyhow::Result<HashMap<String, Stored>> {
    let mut stmt = tx.prepare("SELECT key, row, removed_at IS NOT NULL FROM assets")?;
    let mut out = HashMap::new();
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let key: String = r.get(0)?;
        let json: String = r.get(1)?;
        let row = match serde_json::from_str(&json)? {
            Value::Object(m) => m,
            other => anyhow::bail!("asset {key:?}: stored row is not an object: {other}"),
        };
        out.insert(
            key,
            Stored {
                row,
                removed: r.get(2)?,
            },
        );
    }
    Ok(out)
}

pub(crate) fn to_map(row: &AssetRow) -> anyhow::Result<Map<String, Value>> {
    match serde_json::to_value(row)? {
        Value::Object(m) => Ok(m),
        other => anyhow::bail!("an asset row serialized as {other}"),
    }
}

/// Names of the fields whose values differ, in the row's field order (fields only one side
/// has count as differing).
pub(crate) fn differing(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<String> {
    let mut names: Vec<String> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect();
    names.extend(old.keys().filter(|k| !new.contains_key(*k)).cloned());
    names.retain(|k| !NOT_COMPARED.contains(&k.as_str()));
    names
}

/// Store the export's row for `key`: a new asset, or an overwrite that makes a stored one
/// current again (`first_imported_at` is kept).
fn upsert(
    tx: &Transaction,
    key: &str,
    row: &AssetRow,
    json: &Map<String, Value>,
    now: &str,
) -> anyhow::Result<()> {
    tx.execute(
        "INSERT INTO assets (key, kode_lokasi, kode_barang, nomor_register, nibar, nama_barang,
             merk, tipe, nomor_pabrik, tahun_perolehan, harga_rupiah, kondisi, ruangan,
             pemegang, keterangan, row, first_imported_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17)
         ON CONFLICT (key) DO UPDATE SET kode_lokasi = ?2, kode_barang = ?3,
             nomor_register = ?4, nibar = ?5, nama_barang = ?6, merk = ?7, tipe = ?8,
             nomor_pabrik = ?9, tahun_perolehan = ?10, harga_rupiah = ?11, kondisi = ?12,
             ruangan = ?13, pemegang = ?14, keterangan = ?15, row = ?16, updated_at = ?17,
             removed_at = NULL",
        params![
            key,
            row.kode_lokasi,
            row.kode_barang,
            row.nomor_register,
            row.nibar,
            row.nama_barang,
            row.merk,
            row.tipe,
            row.nomor_pabrik,
            row.tahun_perolehan,
            row.harga_rupiah,
            row.kondisi.map(|k| k.code()),
            row.ruangan,
            row.pemegang,
            row.keterangan,
            Value::Object(json.clone()).to_string(),
            now,
        ],
    )?;
    Ok(())
}

fn history(
    tx: &Transaction,
    key: &str,
    at: &str,
    change: &str,
    before: Option<&Map<String, Value>>,
    after: Option<&Map<String, Value>>,
    source: &str,
) -> anyhow::Result<()> {
    let json = |m: Option<&Map<String, Value>>| m.map(|m| Value::Object(m.clone()).to_string());
    tx.execute(
        "INSERT INTO asset_history (key, at, change, before, after, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![key, at, change, json(before), json(after), source],
    )?;
    Ok(())
}

#[cfg(test)]
#[path = "register_tests.rs"]
mod tests;
