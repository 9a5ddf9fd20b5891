//! The register as the export and asset views show it; the twin of `sqlite/lines.rs`.

use super::ts;
use crate::reconcile::condition::Evidence;
use crate::register::Condition;
use crate::store::sqlite::facts::Observed;
use crate::store::RegisterLine;
use deadpool_postgres::GenericClient;

fn observed(facts: Option<&str>) -> Observed {
    facts
        .and_then(|f| serde_json::from_str(f).ok())
        .unwrap_or_default()
}

fn condition(code: Option<&str>) -> Option<Condition> {
    code.and_then(Condition::from_code)
}

pub async fn register_lines(
    c: &impl GenericClient,
    opd: Option<&str>,
) -> anyhow::Result<Vec<RegisterLine>> {
    let rows = c
        .query(
            "SELECT a.key, a.kode_lokasi, a.row::jsonb ->> 'nama_opd', a.kode_barang,
                a.nama_barang, a.nomor_register, a.nibar, a.merk, a.tipe, a.tahun_perolehan,
                a.nomor_pabrik, a.harga_rupiah, a.kondisi, a.ruangan, a.pemegang, a.keterangan,
                r.agent_id, r.in_review, r.silent, h.last_seen, r.suggested, r.evidence,
                h.hostname, h.facts, m.rule,
                coalesce(a.row::jsonb ->> 'ukuran', ''),
                coalesce(a.row::jsonb ->> 'bahan', ''),
                coalesce(a.row::jsonb ->> 'asal_usul', ''),
                (SELECT json_agg(DISTINCT f.kind)::text FROM flags f
                 WHERE f.state != 'resolved'
                   AND (f.subject = a.key OR (r.agent_id IS NOT NULL AND f.subject = r.agent_id)))
             FROM assets a
             LEFT JOIN reconcile_assets r ON r.key = a.key
             LEFT JOIN hosts h ON h.agent_id = r.agent_id
             LEFT JOIN reconcile_hosts m ON m.agent_id = r.agent_id
             WHERE a.removed_at IS NULL AND ($1::text IS NULL OR a.kode_lokasi = $1)
             ORDER BY a.kode_lokasi, a.kode_barang, a.nomor_register",
            &[&opd],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let agent_id: Option<String> = r.get(16);
            let in_review = r.get::<_, Option<i64>>(17).unwrap_or(0) != 0;
            let silent = r.get::<_, Option<i64>>(18).unwrap_or(0) != 0;
            let facts = observed(r.get(23));
            RegisterLine {
                key: r.get(0),
                kode_lokasi: r.get(1),
                nama_opd: r.get(2),
                kode_barang: r.get(3),
                nama_barang: r.get(4),
                nomor_register: r.get(5),
                nibar: r.get(6),
                merk: r.get(7),
                tipe: r.get(8),
                tahun_perolehan: r.get::<_, Option<i64>>(9).map(|y| y as i32),
                nomor_pabrik: r.get(10),
                harga_rupiah: r.get(11),
                kondisi: condition(r.get(12)),
                ruangan: r.get(13),
                pemegang: r.get(14),
                keterangan: r.get(15),
                match_state: match (agent_id.is_some(), in_review, silent) {
                    (true, _, _) => "matched",
                    (_, true, _) => "review",
                    (_, _, true) => "silent",
                    _ => "not_seen",
                }
                .into(),
                agent_id,
                last_seen: ts(r.get(19)),
                suggested_kondisi: condition(r.get(20)),
                suggestion_evidence: r
                    .get::<_, Option<&str>>(21)
                    .and_then(|e| serde_json::from_str::<Vec<Evidence>>(e).ok())
                    .unwrap_or_default()
                    .iter()
                    .map(|e| format!("{}: {} ({})", e.what, e.value, e.threshold))
                    .collect(),
                hostname: r.get(22),
                observed_serial: facts.serial,
                observed_vendor: facts.vendor,
                observed_model: facts.model,
                match_rule: r.get(24),
                ukuran: r.get(25),
                bahan: r.get(26),
                asal_usul: r.get(27),
                open_flags: r
                    .get::<_, Option<&str>>(28)
                    .and_then(|j| serde_json::from_str(j).ok())
                    .unwrap_or_default(),
            }
        })
        .collect())
}
