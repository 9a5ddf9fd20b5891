//! The register as the export and asset views show it: each current asset with its
//! reconciliation state.

use super::super::RegisterLine;
use super::facts::Observed;
use crate::reconcile::condition::Evidence;
use crate::register::Condition;
use rusqlite::{params, Connection};

fn observed(facts: Option<String>) -> Observed {
    facts
        .and_then(|f| serde_json::from_str(&f).ok())
        .unwrap_or_default()
}

fn condition(code: Option<String>) -> Option<Condition> {
    code.as_deref().and_then(Condition::from_code)
}

pub fn register_lines(c: &Connection, opd: Option<&str>) -> anyhow::Result<Vec<RegisterLine>> {
    let mut stmt = c.prepare_cached(
        "SELECT a.key, a.kode_lokasi, json_extract(a.row, '$.nama_opd'), a.kode_barang,
                a.nama_barang, a.nomor_register, a.nibar, a.merk, a.tipe, a.tahun_perolehan,
                a.nomor_pabrik, a.harga_rupiah, a.kondisi, a.ruangan, a.pemegang, a.keterangan,
                r.agent_id, r.in_review, r.silent, h.last_seen, r.suggested, r.evidence,
                h.hostname, h.facts, m.rule,
                coalesce(json_extract(a.row, '$.ukuran'), ''),
                coalesce(json_extract(a.row, '$.bahan'), ''),
                coalesce(json_extract(a.row, '$.asal_usul'), ''),
                (SELECT json_group_array(DISTINCT f.kind) FROM flags f
                 WHERE f.state != 'resolved'
                   AND (f.subject = a.key OR (r.agent_id IS NOT NULL AND f.subject = r.agent_id)))
         FROM assets a
         LEFT JOIN reconcile_assets r ON r.key = a.key
         LEFT JOIN hosts h ON h.agent_id = r.agent_id
         LEFT JOIN reconcile_hosts m ON m.agent_id = r.agent_id
         WHERE a.removed_at IS NULL AND (?1 IS NULL OR a.kode_lokasi = ?1)
         ORDER BY a.kode_lokasi, a.kode_barang, a.nomor_register",
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
            match_state: match (
                r.get::<_, Option<String>>(16)?.is_some(),
                r.get::<_, Option<bool>>(17)?.unwrap_or(false),
                r.get::<_, Option<bool>>(18)?.unwrap_or(false),
            ) {
                (true, _, _) => "matched",
                (_, true, _) => "review",
                (_, _, true) => "silent",
                _ => "not_seen",
            }
            .into(),
            agent_id: r.get(16)?,
            last_seen: r
                .get::<_, Option<String>>(19)?
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
                .map(|t| t.with_timezone(&chrono::Utc)),
            suggested_kondisi: condition(r.get(20)?),
            suggestion_evidence: r
                .get::<_, Option<String>>(21)?
                .and_then(|e| serde_json::from_str::<Vec<Evidence>>(&e).ok())
                .unwrap_or_default()
                .iter()
                .map(|e| format!("{}: {} ({})", e.what, e.value, e.threshold))
                .collect(),
            hostname: r.get(22)?,
            observed_serial: observed(r.get(23)?).serial,
            observed_vendor: observed(r.get(23)?).vendor,
            observed_model: observed(r.get(23)?).model,
            match_rule: r.get(24)?,
            ukuran: r.get(25)?,
            bahan: r.get(26)?,
            asal_usul: r.get(27)?,
            open_flags: r
                .get::<_, Option<String>>(28)?
                .and_then(|j| serde_json::from_str(&j).ok())
                .unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
