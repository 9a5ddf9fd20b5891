//! The report archive: files under `[reports] archive_dir` (default `data_dir/reports`),
//! one folder per period, each file recorded in the `reports` table. Generation on demand
//! (CLI, `POST /api/v1/reports`) and on schedule goes through [`Archive::generate`].

use super::config::{ReportConfig, Schedule};
use super::period::Period;
use super::{Format, Request};
use crate::i18n::Lang;
use crate::store::sqlite::report_archive::ReportFile;
use crate::store::Store;
use anyhow::Context as _;
use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Archive {
    pub config: ReportConfig,
    pub dir: PathBuf,
}

impl Default for Archive {
    /// For tests that never generate: the system temp folder.
    fn default() -> Self {
        Archive {
            config: ReportConfig::default(),
            dir: std::env::temp_dir().join("pantau-reports"),
        }
    }
}

impl Archive {
    /// Generate `formats` for `req`, write them under `dir/{period}/`, and record them.
    pub async fn generate(
        &self,
        store: &dyn Store,
        req: &Request,
        formats: &[Format],
        by: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<ReportFile>> {
        let d = super::data(store, req, &self.config, now).await?;
        let folder = self.dir.join(req.period.to_string());
        std::fs::create_dir_all(&folder)
            .with_context(|| format!("creating {}", folder.display()))?;
        let mut out = Vec::new();
        for f in formats {
            let bytes = super::render(&d, *f, req.lang)?;
            let rel = format!("{}/{}.{}", req.period, req.file_stem(), f.extension());
            let path = self.dir.join(&rel);
            std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
            let mut file = ReportFile {
                id: 0,
                period: req.period.to_string(),
                opd: req.opd.clone().unwrap_or_else(|| "*".into()),
                lang: match req.lang {
                    Lang::Id => "id".into(),
                    Lang::En => "en".into(),
                },
                format: f.extension().into(),
                path: rel,
                bytes: bytes.len() as i64,
                sha256: crate::auth::secret::sha256_hex(&bytes),
                generated_at: now.to_rfc3339(),
                generated_by: by.into(),
            };
            file.id = store.record_report(file.clone()).await?;
            out.push(file);
        }
        Ok(out)
    }

    /// The bytes of an archived file.
    pub fn read(&self, f: &ReportFile) -> anyhow::Result<Vec<u8>> {
        // Paths are written by `generate` only; refuse anything that could leave the folder.
        anyhow::ensure!(
            !f.path.contains("..") && !f.path.starts_with('/'),
            "report {}: bad path {:?}",
            f.id,
            f.path
        );
        let path = self.dir.join(&f.path);
        std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
    }

    /// Scheduled generation: the previous period's city-wide and per-OPD reports, once,
    /// after the period has ended. Returns how many files were written.
    pub async fn run_due(&self, store: &dyn Store, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let Some(schedule) = self.config.schedule else {
            return Ok(0);
        };
        let period =
            Period::containing(now, self.config.zone, schedule == Schedule::Quarterly).previous();
        let done: Vec<ReportFile> = store
            .reports()
            .await?
            .into_iter()
            .filter(|r| r.period == period.to_string() && r.lang == "id")
            .collect();
        let mut opds: Vec<Option<String>> = vec![None];
        let lines = store.register_lines(None).await?;
        let mut kode: Vec<String> = lines.into_iter().map(|l| l.kode_lokasi).collect();
        kode.dedup();
        opds.extend(kode.into_iter().map(Some));
        let mut written = 0;
        for opd in opds {
            let key = opd.clone().unwrap_or_else(|| "*".into());
            if done.iter().any(|r| r.opd == key) {
                continue;
            }
            let req = Request {
                period,
                opd,
                lang: Lang::Id,
            };
            written += self
                .generate(
                    store,
                    &req,
                    &self.config.formats,
                    crate::store::SYSTEM_ACTOR,
                    now,
                )
                .await?
                .len();
        }
        Ok(written)
    }
}

/// Check the schedule every `every` until shutdown.
pub async fn run_loop(
    store: Arc<dyn Store>,
    archive: Arc<Archive>,
    every: Duration,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    if archive.config.schedule.is_none() {
        return;
    }
    let s = store.clone();
    crate::jobs::every(store, "scheduled reports", every, None, stop, move || {
        let (store, archive) = (s.clone(), archive.clone());
        async move {
            let n = archive.run_due(&*store, Utc::now()).await?;
            if n > 0 {
                tracing::info!(files = n, "scheduled reports generated");
            }
            Ok(())
        }
    })
    .await
}
