//! Periodic condition reports (issue 8): for a month or a quarter, city-wide or for one OPD,
//! the condition, performance and utilization of ICT equipment that OPDs report to
//! Diskominfo and Diskominfo to the Walikota (Perwali Ternate 33/2021 Pasal 12 ayat 13;
//! Perwali Kotamobagu Pasal 36-37). See docs/reports.md.
//!
//! One concern per module: `period` (what a period is), `classes` (asset classes and useful
//! life), `build` (store → [`data::ReportData`]), then one renderer per format, which print
//! the data and compute nothing.

pub mod archive;
pub mod build;
pub mod classes;
pub mod config;
pub mod data;
pub mod html;
#[cfg(feature = "pdf")]
pub mod pdf;
pub mod period;
pub mod text;
pub mod xlsx;

use crate::i18n::Lang;
use crate::store::Store;
use anyhow::Context as _;
use chrono::{DateTime, Utc};
use period::Period;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Pdf,
    Html,
    Xlsx,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Html => "html",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Html => "text/html; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// `pdf,html,xlsx`: the CLI's `--format` list; an unknown name is refused by name.
    pub fn parse_list(s: &str) -> Result<Vec<Format>, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let f = match part.to_ascii_lowercase().as_str() {
                "html" => Format::Html,
                "xlsx" => Format::Xlsx,
                "pdf" => Format::Pdf,
                other => return Err(format!("format {other:?}: use pdf, html or xlsx")),
            };
            if !out.contains(&f) {
                out.push(f);
            }
        }
        if out.is_empty() {
            return Err("format: name at least one of pdf, html, xlsx".into());
        }
        Ok(out)
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Request {
    pub period: Period,
    /// Kode lokasi; `None` for the city-wide report.
    pub opd: Option<String>,
    pub lang: Lang,
}

impl Request {
    /// `laporan-kota-2026-10`, `laporan-82.71.02.16.01-2026-Q4` (+ `-en` in English).
    pub fn file_stem(&self) -> String {
        let scope = self.opd.as_deref().unwrap_or("kota");
        let lang = match self.lang {
            Lang::Id => "",
            Lang::En => "-en",
        };
        format!("laporan-{scope}-{}{lang}", self.period)
    }
}

/// The report's data, read from the store now.
pub async fn data(
    store: &dyn Store,
    req: &Request,
    cfg: &config::ReportConfig,
    generated_at: DateTime<Utc>,
) -> anyhow::Result<data::ReportData> {
    let inputs = build::gather(store, req.period, req.opd.as_deref()).await?;
    Ok(build::build(
        inputs,
        req.period,
        req.opd.as_deref(),
        cfg,
        generated_at,
    ))
}

/// The bytes of one format.
pub fn render(d: &data::ReportData, format: Format, lang: Lang) -> anyhow::Result<Vec<u8>> {
    Ok(match format {
        #[cfg(feature = "pdf")]
        Format::Pdf => pdf::render(d, lang)?,
        #[cfg(not(feature = "pdf"))]
        Format::Pdf => anyhow::bail!(
            "format pdf: this pantau-collector was built without the `pdf` feature; \
             rebuild with default features, or use html (print it to PDF from a browser)"
        ),
        Format::Html => html::render(d, lang).into_bytes(),
        Format::Xlsx => xlsx::render(d, lang)?,
    })
}

/// Generate and write every format into `dir` (created); returns the files written.
pub async fn write(
    store: &dyn Store,
    req: &Request,
    formats: &[Format],
    cfg: &config::ReportConfig,
    dir: &Path,
    generated_at: DateTime<Utc>,
) -> anyhow::Result<Vec<PathBuf>> {
    let d = data(store, req, cfg, generated_at).await?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut out = Vec::new();
    for f in formats {
        let bytes = render(&d, *f, req.lang)?;
        let path = dir.join(format!("{}.{}", req.file_stem(), f.extension()));
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        out.push(path);
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests;
