//! Generated reports (issue 8); the twin of `sqlite/report_archive.rs`.

use crate::store::sqlite::report_archive::ReportFile;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

const COLUMNS: &str =
    "id, period, opd, lang, format, path, bytes, sha256, generated_at, generated_by";

fn file_of(r: &Row) -> ReportFile {
    ReportFile {
        id: r.get(0),
        period: r.get(1),
        opd: r.get(2),
        lang: r.get(3),
        format: r.get(4),
        path: r.get(5),
        bytes: r.get(6),
        sha256: r.get(7),
        generated_at: r.get(8),
        generated_by: r.get(9),
    }
}

/// Record a file; a newer one for the same period, OPD, language and format replaces the row.
pub async fn record(c: &impl GenericClient, f: &ReportFile) -> anyhow::Result<i64> {
    Ok(c.query_one(
        "INSERT INTO reports (period, opd, lang, format, path, bytes, sha256, generated_at, generated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (period, opd, lang, format) DO UPDATE SET
           path = excluded.path, bytes = excluded.bytes, sha256 = excluded.sha256,
           generated_at = excluded.generated_at, generated_by = excluded.generated_by
         RETURNING id",
        &[
            &f.period,
            &f.opd,
            &f.lang,
            &f.format,
            &f.path,
            &f.bytes,
            &f.sha256,
            &f.generated_at,
            &f.generated_by,
        ],
    )
    .await?
    .get(0))
}

/// Every archived file, newest period first.
pub async fn list(c: &impl GenericClient) -> anyhow::Result<Vec<ReportFile>> {
    let sql = format!("SELECT {COLUMNS} FROM reports ORDER BY period DESC, opd, lang, format");
    Ok(c.query(&sql, &[]).await?.iter().map(file_of).collect())
}

pub async fn get(c: &impl GenericClient, id: i64) -> anyhow::Result<Option<ReportFile>> {
    let sql = format!("SELECT {COLUMNS} FROM reports WHERE id = $1");
    Ok(c.query_opt(&sql, &[&id]).await?.map(|r| file_of(&r)))
}
