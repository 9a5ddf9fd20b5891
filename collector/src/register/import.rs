//! Importing a register file: the logic shared by `pantau-collector register import FILE
//! [--dry-run]` and `POST /api/v1/assets/import`. Both parse first and touch the store only
//! when the whole file is valid; both get the same typed [`ImportOutcome`] back. The CLI
//! prints it in Bahasa Indonesia with English in parentheses, the API returns it as JSON.

use super::{parse_bytes, parse_file, Diagnostic, ParseErrors, Parsed};
use crate::store::{ImportReport, Store};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// Per-asset lines shown for each kind of change before "... and N more".
const LIST_CAP: usize = 50;

/// What an accepted import did (or, for a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct ImportOutcome {
    /// The file name as recorded in the asset history and used in diagnostics.
    pub source: String,
    pub dry_run: bool,
    /// Register assets in the file (a register range counts each number).
    pub rows: usize,
    #[serde(flatten)]
    pub report: ImportReport,
    /// What was accepted but deserves a look (unknown columns, skipped lines, ...).
    pub warnings: Vec<Diagnostic>,
}

/// Why an import stored nothing.
#[derive(Debug)]
pub enum ImportError {
    /// The file has errors: every one of them, with its place. The store was not touched.
    Refused(ParseErrors),
    /// The file was valid but the store failed (the transaction was rolled back).
    Store(anyhow::Error),
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::Refused(e) => write!(
                f,
                "{} kesalahan, tidak ada yang diimpor ({} errors, nothing imported)",
                e.0.len(),
                e.0.len()
            ),
            ImportError::Store(e) => write!(f, "{e:#}"),
        }
    }
}

impl std::error::Error for ImportError {}

/// The name a path is recorded under: its file name, as the API records an upload's.
pub fn source_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Parses `bytes` as the file `name` (its extension picks the reader). CPU-bound: the API
/// runs it on a blocking thread, since a 50 MiB workbook takes a while.
pub fn parse(name: &str, bytes: &[u8]) -> Result<Parsed, ImportError> {
    parse_bytes(name, bytes).map_err(ImportError::Refused)
}

/// Stores rows that [`parse`] accepted, in one transaction (rolled back for a dry run).
pub async fn apply(
    store: &dyn Store,
    source: &str,
    parsed: Parsed,
    dry_run: bool,
) -> Result<ImportOutcome, ImportError> {
    let report = store
        .import_register(&parsed.rows, source, dry_run)
        .await
        .map_err(ImportError::Store)?;
    Ok(ImportOutcome {
        source: source.to_string(),
        dry_run,
        rows: parsed.rows.len(),
        report,
        warnings: parsed.warnings,
    })
}

/// Parses `file` and imports it into the store `open` gives. A file with errors is refused
/// before the database is opened: every diagnostic goes to stderr and the result is an error.
pub async fn run<F>(file: &Path, dry_run: bool, open: impl FnOnce() -> F) -> anyhow::Result<()>
where
    F: std::future::Future<Output = anyhow::Result<std::sync::Arc<dyn Store>>>,
{
    let source = source_name(file);
    let parsed = match parse_file(file) {
        Ok(p) => p,
        Err(errors) => {
            for d in &errors.0 {
                eprintln!("{d}");
            }
            return Err(ImportError::Refused(errors).into());
        }
    };
    for w in &parsed.warnings {
        eprintln!("peringatan (warning): {w}");
    }
    let store = open().await?;
    let outcome = apply(&*store, &source, parsed, dry_run).await?;
    print!("{}", summary(&outcome.report, dry_run));
    Ok(())
}

/// The text printed after an import: counts, then the keys of each kind of change.
pub fn summary(r: &ImportReport, dry_run: bool) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "{} ditambah (added), {} diubah (changed), {} dihapus (removed), {} tetap (unchanged)",
        r.added.len(),
        r.changed.len(),
        r.removed.len(),
        r.unchanged
    );
    if !r.restored.is_empty() {
        let _ = write!(out, ", {} dipulihkan (restored)", r.restored.len());
    }
    out.push('\n');
    let with_fields = |(key, fields): &(String, Vec<String>)| {
        if fields.is_empty() {
            key.clone()
        } else {
            format!("{key}: {}", fields.join(", "))
        }
    };
    list(&mut out, "Ditambah (added)", "+", r.added.iter().cloned());
    list(
        &mut out,
        "Diubah (changed)",
        "~",
        r.changed.iter().map(with_fields),
    );
    list(
        &mut out,
        "Dihapus (removed)",
        "-",
        r.removed.iter().cloned(),
    );
    list(
        &mut out,
        "Dipulihkan (restored)",
        "*",
        r.restored.iter().map(with_fields),
    );
    if dry_run {
        out.push_str("Uji coba: tidak ada yang disimpan (dry run: nothing stored)\n");
    }
    out
}

fn list(out: &mut String, title: &str, mark: &str, items: impl ExactSizeIterator<Item = String>) {
    let n = items.len();
    if n == 0 {
        return;
    }
    let _ = writeln!(out, "{title}:");
    for item in items.take(LIST_CAP) {
        let _ = writeln!(out, "  {mark} {item}");
    }
    if n > LIST_CAP {
        let _ = writeln!(
            out,
            "  ... dan {} lagi (and {} more)",
            n - LIST_CAP,
            n - LIST_CAP
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;
    use std::sync::Arc;

    #[test]
    fn summary_counts_lists_and_caps() {
        let r = ImportReport {
            added: (0..53).map(|i| format!("k{i}")).collect(),
            changed: vec![("c".into(), vec!["kondisi".into(), "merk".into()])],
            removed: vec!["r".into()],
            restored: vec![],
            unchanged: 3,
        };
        let s = summary(&r, true);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(
            lines[0],
            "53 ditambah (added), 1 diubah (changed), 1 dihapus (removed), 3 tetap (unchanged)"
        );
        assert_eq!(lines[1], "Ditambah (added):");
        assert_eq!(lines[51], "  + k49");
        assert_eq!(lines[52], "  ... dan 3 lagi (and 3 more)");
        assert!(s.contains("  ~ c: kondisi, merk\n"));
        assert!(s.contains("Dihapus (removed):\n  - r\n"));
        assert!(!s.contains("Dipulihkan"));
        assert!(s.ends_with("Uji coba: tidak ada yang disimpan (dry run: nothing stored)\n"));
    }

    fn testdata(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/register/testdata")
            .join(name)
    }

    #[tokio::test]
    async fn a_file_with_errors_never_opens_the_database() {
        let opened = std::cell::Cell::new(false);
        let err = run(&testdata("bad-rows.csv"), false, || async {
            opened.set(true);
            anyhow::bail!("must not be called")
        })
        .await
        .unwrap_err();
        assert!(!opened.get());
        assert!(
            err.to_string().contains("6 errors, nothing imported"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_dry_run_stores_nothing_and_the_real_run_everything() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("pantau.db");
        let file = testdata("register-simda-style.csv");
        let open = || async { Ok(Arc::new(SqliteStore::open(&db)?) as Arc<dyn Store>) };
        run(&file, true, open).await.unwrap();
        run(&file, false, open).await.unwrap();
        let again = SqliteStore::open(&db).unwrap();
        let r = again
            .import_register(&parse_file(&file).unwrap().rows, "x.csv", true)
            .await
            .unwrap();
        assert_eq!(
            r.unchanged, 6,
            "the dry run stored nothing, the real run all 6"
        );
    }

    #[test]
    fn summary_without_changes_is_one_line() {
        let r = ImportReport {
            unchanged: 6,
            ..Default::default()
        };
        assert_eq!(
            summary(&r, false),
            "0 ditambah (added), 0 diubah (changed), 0 dihapus (removed), 6 tetap (unchanged)\n"
        );
    }
}
