//! `backup` and `restore` of the SQLite database (docs/operations.md#cadangan-dan-pemulihan).
//!
//! Backup runs beside a working collector: SQLite's online backup API copies every page in
//! one step, inside one read transaction, so the file is the database as of one commit even
//! while ingest keeps writing (WAL lets the writer go on; a page-by-page backup in several
//! steps would restart at every commit of another connection and might never finish).
//!
//! Restore never runs beside a collector: `serve` and `demo` hold an exclusive lock on
//! `pantau.db.lock` for as long as they run ([`RunLock`]), and restore takes the same lock
//! for its whole duration. The file is checked (integrity, schema version) before anything
//! is touched, copied next to the database and renamed over it, so a failure at any point
//! leaves the old database as it was.
//!
//! PostgreSQL is backed up with its own tools (pg_dump / pg_restore); see the manual.

use crate::i18n::Lang;
use anyhow::Context;
use rusqlite::{Connection, OpenFlags};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a finished backup or restore reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub file: PathBuf,
    pub bytes: u64,
    pub schema_version: usize,
    pub tables: usize,
}

impl Summary {
    pub fn describe(&self, lang: Lang) -> String {
        format!(
            "{}: {} ({} bytes, {} {}, {} {})",
            lang.t("berkas", "file"),
            self.file.display(),
            self.bytes,
            self.tables,
            lang.t("tabel", "tables"),
            lang.t("skema versi", "schema version"),
            self.schema_version,
        )
    }
}

/// The exclusive lock a running collector holds on `<database>.lock`. Released when dropped
/// or when the process dies (an advisory `flock`, so a killed collector leaves nothing stale).
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

impl RunLock {
    pub fn path(db: &Path) -> PathBuf {
        let mut p = db.as_os_str().to_owned();
        p.push(".lock");
        PathBuf::from(p)
    }

    /// Take the lock shared, as a running collector does: several collectors may share one
    /// SQLite file (a shared MQTT subscription, docs/scale.md), but none may run while
    /// `restore` holds it.
    pub fn share(db: &Path, lang: Lang) -> anyhow::Result<RunLock> {
        RunLock::lock(db, lang, true)
    }

    /// Take the lock alone (`restore`), or say who holds it.
    pub fn take(db: &Path, lang: Lang) -> anyhow::Result<RunLock> {
        RunLock::lock(db, lang, false)
    }

    fn lock(db: &Path, lang: Lang, shared: bool) -> anyhow::Result<RunLock> {
        let path = RunLock::path(db);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        let got = if shared {
            file.try_lock_shared()
        } else {
            file.try_lock()
        };
        match got {
            Ok(()) => Ok(RunLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
                "{} {} ({})",
                lang.t(
                    "sebuah collector sedang berjalan dengan basis data",
                    "a collector is running with the database"
                ),
                db.display(),
                lang.t(
                    "hentikan dulu: systemctl stop pantau-collector",
                    "stop it first: systemctl stop pantau-collector"
                ),
            ),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
    }
}

/// The schema version this build of the collector creates and understands.
pub fn schema_version() -> usize {
    crate::store::sqlite::schema_version()
}

/// Copy the live database `db` into `out`, consistent as of one commit, while the collector
/// may be writing. Writes `out` through a temporary file beside it and a rename, so `out` is
/// either the previous file or a complete backup.
pub fn backup(db: &Path, out: &Path) -> anyhow::Result<Summary> {
    if !db.exists() {
        anyhow::bail!("no database at {}", db.display());
    }
    // Read-write without CREATE: a WAL database needs its shared-memory index writable
    // even to read, and a missing database must not be created empty.
    let src = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("cannot open database {}", db.display()))?;
    src.busy_timeout(Duration::from_secs(30))?;
    backup_from(&src, out)
}

/// [`backup`] from an open connection. Inside a transaction of `src`, the copy is exactly
/// what that transaction sees (the backup reads through the same connection).
pub fn backup_from(src: &Connection, out: &Path) -> anyhow::Result<Summary> {
    let tmp = temp_beside(out)?;
    let result = (|| {
        let mut dst =
            Connection::open(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        copy_all(src, &mut dst).context("online backup")?;
        // One self-contained file: no -wal beside it to forget when copying it away.
        dst.pragma_update(None, "journal_mode", "DELETE")?;
        let summary = check(&dst, out)?;
        drop(dst);
        sync_file(&tmp)?;
        Ok(summary)
    })();
    match result {
        Ok(mut summary) => {
            std::fs::rename(&tmp, out)
                .with_context(|| format!("cannot rename {} to {}", tmp.display(), out.display()))?;
            sync_dir(out)?;
            summary.bytes = std::fs::metadata(out)?.len();
            Ok(summary)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Replace the database `db` with the backup `file`. Refuses while a collector runs with
/// `db`, when `db` exists and `force` is false, and when `file` is damaged, not a Pantau
/// database, or newer than this collector.
pub fn restore(file: &Path, db: &Path, force: bool, lang: Lang) -> anyhow::Result<Summary> {
    // Held until the new file is in place: no collector can start in between.
    let _lock = RunLock::take(db, lang)?;
    if db.exists() && !force {
        anyhow::bail!(
            "{} {} {}",
            db.display(),
            lang.t(
                "sudah ada; tambahkan --force untuk menggantinya",
                "exists; add --force to replace it"
            ),
            lang.t(
                "(buat cadangannya dulu bila masih diperlukan)",
                "(back it up first if it is still needed)"
            )
        );
    }
    let src = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("cannot open backup {}", file.display()))?;
    let summary = check(&src, file)?;
    let tmp = temp_beside(db)?;
    let copied = (|| {
        let mut dst =
            Connection::open(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        copy_all(&src, &mut dst).context("copying the backup")?;
        dst.pragma_update(None, "journal_mode", "DELETE")?;
        check(&dst, &tmp)?;
        drop(dst);
        sync_file(&tmp)
    })();
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // A -wal left by the old database would be replayed into the new one: remove it (and
    // its index) before the rename. The old database is being replaced anyway.
    for suffix in ["-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        match std::fs::remove_file(PathBuf::from(&p)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e).with_context(|| format!("cannot remove {}", p.display()));
            }
        }
    }
    std::fs::rename(&tmp, db)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), db.display()))?;
    sync_dir(db)?;
    Ok(Summary {
        file: db.to_owned(),
        bytes: std::fs::metadata(db)?.len(),
        ..summary
    })
}

/// Every page of `src` into `dst` in one step (-1), so in one read transaction of the
/// source; waits while the source is locked (a checkpoint, a writer taking the WAL index).
fn copy_all(src: &Connection, dst: &mut Connection) -> anyhow::Result<()> {
    use rusqlite::backup::{Backup, StepResult};
    let b = Backup::new(src, dst)?;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        match b.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            StepResult::Busy | StepResult::Locked => {
                if std::time::Instant::now() > deadline {
                    anyhow::bail!("the database stayed locked for 60 s");
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            other => anyhow::bail!("unexpected backup step result {other:?}"),
        }
    }
}

/// `integrity_check` says ok, and the schema is Pantau's, no newer than this build's.
fn check(conn: &Connection, what: &Path) -> anyhow::Result<Summary> {
    let name = what.display();
    let problems: Vec<String> = {
        let mut stmt = conn
            .prepare("PRAGMA integrity_check")
            .with_context(|| format!("{name}: not a SQLite database"))?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect::<Result<_, _>>()
            .with_context(|| format!("{name}: not a SQLite database"))?
    };
    if problems != ["ok"] {
        anyhow::bail!(
            "{name}: integrity_check failed: {}",
            problems
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    let version: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let tables: usize = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
        [],
        |r| r.get(0),
    )?;
    let has_agents: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'agents'",
        [],
        |r| r.get(0),
    )?;
    if version == 0 || !has_agents {
        anyhow::bail!("{name}: not a Pantau database (schema version {version}, no agents table)");
    }
    if version > schema_version() {
        anyhow::bail!(
            "{name}: schema version {version} is newer than this collector's ({}); restore it with \
             the pantau-collector that wrote it",
            schema_version()
        );
    }
    Ok(Summary {
        file: what.to_owned(),
        bytes: 0,
        schema_version: version,
        tables,
    })
}

/// A fresh name beside `path` (same file system, so the final rename is atomic).
fn temp_beside(path: &Path) -> anyhow::Result<PathBuf> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        anyhow::bail!("folder {} does not exist", dir.display());
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "pantau.db".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    Ok(tmp)
}

fn sync_file(path: &Path) -> anyhow::Result<()> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot sync {}", path.display()))
}

fn sync_dir(path: &Path) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pantau_db(dir: &Path) -> PathBuf {
        let db = dir.join("pantau.db");
        let mut c = Connection::open(&db).unwrap();
        crate::store::sqlite::migrate_for_tests(&mut c);
        c.execute(
            "INSERT INTO agents (agent_id, opd, public_key, enrolled_at) VALUES ('a', 'o', 'k', 't')",
            [],
        )
        .unwrap();
        db
    }

    #[test]
    fn backup_and_restore_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let db = pantau_db(dir.path());
        let out = dir.path().join("b.db");
        let s = backup(&db, &out).unwrap();
        assert_eq!(s.schema_version, schema_version());
        let target = dir.path().join("new").join("pantau.db");
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        restore(&out, &target, false, Lang::En).unwrap();
        let c = Connection::open(&target).unwrap();
        let n: i64 = c
            .query_row("SELECT count(*) FROM agents", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        // Exists now: refused without --force, done with it.
        let e = restore(&out, &target, false, Lang::En).unwrap_err();
        assert!(format!("{e:#}").contains("--force"), "{e:#}");
        restore(&out, &target, true, Lang::En).unwrap();
    }

    #[test]
    fn restore_refuses_while_locked_and_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let db = pantau_db(dir.path());
        let out = dir.path().join("b.db");
        backup(&db, &out).unwrap();
        let target = dir.path().join("t.db");
        {
            let _held = RunLock::take(&target, Lang::En).unwrap();
            let e = restore(&out, &target, true, Lang::En).unwrap_err();
            assert!(format!("{e:#}").contains("collector is running"), "{e:#}");
        }
        assert!(!target.exists(), "nothing written while refused");
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, b"not a database at all, certainly not sqlite").unwrap();
        let e = restore(&junk, &target, true, Lang::En).unwrap_err();
        assert!(format!("{e:#}").contains("junk.db"), "{e:#}");
        let empty = dir.path().join("empty.db");
        Connection::open(&empty)
            .unwrap()
            .execute_batch("CREATE TABLE x (a)")
            .unwrap();
        let e = restore(&empty, &target, true, Lang::En).unwrap_err();
        assert!(format!("{e:#}").contains("not a Pantau database"), "{e:#}");
        let newer = dir.path().join("newer.db");
        std::fs::copy(&out, &newer).unwrap();
        Connection::open(&newer)
            .unwrap()
            .pragma_update(None, "user_version", schema_version() + 1)
            .unwrap();
        let e = restore(&newer, &target, true, Lang::En).unwrap_err();
        assert!(format!("{e:#}").contains("newer than"), "{e:#}");
        assert!(!target.exists(), "nothing written by a refused restore");
    }
}
