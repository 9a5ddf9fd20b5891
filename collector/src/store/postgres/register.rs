//! The asset register; the twin of `sqlite/register.rs` (same comparison, same history).

use super::Tx;
use crate::register::AssetRow;
use crate::store::sqlite::register::{differing, to_map};
use crate::store::ImportReport;
use chrono::{DateTime, Utc};
use deadpool_postgres::Client;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// A stored asset: its row as JSON and whether it is marked removed.
struct Stored {
    row: Map<String, Value>,
    removed: bool,
}

pub async fn import(
    c: &mut Client,
    rows: &[AssetRow],
    source: &str,
    now: DateTime<Utc>,
    dry_run: bool,
) -> anyhow::Result<ImportReport> {
    let tx = c.transaction().await?;
    // Two imports at once would each see the other's rows as missing: one at a time.
    tx.execute("LOCK TABLE assets IN SHARE ROW EXCLUSIVE MODE", &[])
        .await?;
    let report = apply(&tx, rows, source, &now.to_rfc3339()).await?;
    if dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(report)
}

async fn apply(
    tx: &Tx<'_>,
    rows: &[AssetRow],
    source: &str,
    now: &str,
) -> anyhow::Result<ImportReport> {
    let mut stored = load(tx).await?;
    let mut report = ImportReport::default();
    let mut seen = HashSet::with_capacity(rows.len());
    for row in rows {
        let key = row.key();
        if !seen.insert(key.clone()) {
            anyhow::bail!("register key {key:?} appears twice in the import");
        }
        let new = to_map(row)?;
        match stored.remove(&key) {
            None => {
                upsert(tx, &key, row, &new, now).await?;
                history(tx, &key, now, "added", None, Some(&new), source).await?;
                report.added.push(key);
            }
            Some(old) => {
                let fields = differing(&old.row, &new);
                if old.removed {
                    upsert(tx, &key, row, &new, now).await?;
                    history(
                        tx,
                        &key,
                        now,
                        "restored",
                        Some(&old.row),
                        Some(&new),
                        source,
                    )
                    .await?;
                    report.restored.push((key, fields));
                } else if fields.is_empty() {
                    report.unchanged += 1;
                } else {
                    upsert(tx, &key, row, &new, now).await?;
                    history(tx, &key, now, "changed", Some(&old.row), Some(&new), source).await?;
                    report.changed.push((key, fields));
                }
            }
        }
    }
    // Only locations (kode lokasi) the file covers count as its scope.
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
            "UPDATE assets SET removed_at = $2, updated_at = $2 WHERE key = $1",
            &[&key, &now],
        )
        .await?;
        history(tx, &key, now, "removed", Some(&old.row), None, source).await?;
        report.removed.push(key);
    }
    Ok(report)
}

async fn load(tx: &Tx<'_>) -> anyhow::Result<HashMap<String, Stored>> {
    let mut out = HashMap::new();
    for r in tx
        .query("SELECT key, row, removed_at IS NOT NULL FROM assets", &[])
        .await?
    {
        let key: String = r.get(0);
        let row = match serde_json::from_str(r.get(1))? {
            Value::Object(m) => m,
            other => anyhow::bail!("asset {key:?}: stored row is not an object: {other}"),
        };
        out.insert(
            key,
            Stored {
                row,
                removed: r.get(2),
            },
        );
    }
    Ok(out)
}

async fn upsert(
    tx: &Tx<'_>,
    key: &str,
    row: &AssetRow,
    json: &Map<String, Value>,
    now: &str,
) -> anyhow::Result<()> {
    tx.execute(
        "INSERT INTO assets (key, kode_lokasi, kode_barang, nomor_register, nibar, nama_barang,
             merk, tipe, nomor_pabrik, tahun_perolehan, harga_rupiah, kondisi, ruangan,
             pemegang, keterangan, row, first_imported_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)
         ON CONFLICT (key) DO UPDATE SET kode_lokasi = $2, kode_barang = $3,
             nomor_register = $4, nibar = $5, nama_barang = $6, merk = $7, tipe = $8,
             nomor_pabrik = $9, tahun_perolehan = $10, harga_rupiah = $11, kondisi = $12,
             ruangan = $13, pemegang = $14, keterangan = $15, row = $16, updated_at = $17,
             removed_at = NULL",
        &[
            &key,
            &row.kode_lokasi,
            &row.kode_barang,
            &row.nomor_register,
            &row.nibar,
            &row.nama_barang,
            &row.merk,
            &row.tipe,
            &row.nomor_pabrik,
            &row.tahun_perolehan.map(i64::from),
            &row.harga_rupiah,
            &row.kondisi.map(|k| k.code()),
            &row.ruangan,
            &row.pemegang,
            &row.keterangan,
            &Value::Object(json.clone()).to_string(),
            &now,
        ],
    )
    .await?;
    Ok(())
}

async fn history(
    tx: &Tx<'_>,
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
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[&key, &at, &change, &json(before), &json(after), &source],
    )
    .await?;
    Ok(())
}
