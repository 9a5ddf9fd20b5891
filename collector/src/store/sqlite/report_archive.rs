//! Generated reports (issue 8): one row per file written to the archive folder, so the API
//! can list them and serve downloads without scanning the disk.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

/// One archived report file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportFile {
    pub id: i64,
    /// `2026-10` or `2026-Q4`.
    pub period: String,
    /// Kode lokasi, or `*` for a city-wide report.
    pub opd: String,
    pub lang: String,
    /// `pdf`, `html`, `xlsx`.
    pub format: String,
    /// File name inside the archive folder (relative, no `..`).
    pub path: String,
    pub bytes: i64,
    pub sha256: String,
    pub generated_at: String,
    /// User who asked, or `pantau` for the schedule.
    pub generated_by: String,
}

const COLUMNS: &str =
    "id, period, opd, lang, format, path, bytes, sha256, generated_at, generated_by";

fn file_of(r: &Row) -> rusqlite::Result<ReportFile> {
    Ok(ReportFile {
        id: r.get(0)?,
        period: r.get(1)?,
        opd: r.get(2)?,
        lang: r.get(3)?,
        format: r.get(4)?,
        path: r.get(5)?,
        bytes: r.get(6)?,
        sha256: r.get(7)?,
        generated_at: r.get(8)?,
        generated_by: r.get(9)?,
    })
}

/// Record a file; a newer one for the same period, OPD, language and format replaces the
/// row (the file on disk was overwritten too). Returns the id.
pub fn record(c: &Connection, f: &ReportFile) -> anyhow::Result<i64> {
    Ok(c.query_row(
        "INSERT INTO reports (period, opd, lang, format, path, bytes, sha256, generated_at, generated_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (period, opd, lang, format) DO UPDATE SET
           path = excluded.path, bytes = excluded.bytes, sha256 = excluded.sha256,
           generated_at = excluded.generated_at, generated_by = excluded.generated_by
         RETURNING id",
        params![
            f.period,
            f.opd,
            f.lang,
            f.format,
            f.path,
            f.bytes,
            f.sha256,
            f.generated_at,
            f.generated_by
        ],
        |r| r.get(0),
    )?)
}

/// Every archived file, newest period first.
pub fn list(c: &Connection) -> anyhow::Result<Vec<ReportFile>> {
    let sql = format!("SELECT {COLUMNS} FROM reports ORDER BY period DESC, opd, lang, format");
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map([], file_of)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn get(c: &Connection, id: i64) -> anyhow::Result<Option<ReportFile>> {
    let sql = format!("SELECT {COLUMNS} FROM reports WHERE id = ?1");
    Ok(c.query_row(&sql, [id], file_of).optional()?)
}
