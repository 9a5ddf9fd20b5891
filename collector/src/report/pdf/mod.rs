//! The report as PDF, to print and sign: typst markup written from [`ReportData`] and
//! compiled in-process by the typst crates, with the open fonts of typst-assets (Libertinus
//! Serif, DejaVu Sans Mono) embedded: no system font, no file outside the binary. The charts
//! are the dashboard's SVG, handed to typst as virtual files.
//!
//! Reproducible: the document date, the PDF timestamp and identifier come from the report
//! (`generated_at`, city, scope, period), never the clock, so the same data gives the same
//! bytes. All report text reaches typst as string literals, never as markup, so a register
//! value like `#exit` or `*` prints as written.

mod markup;
mod tail;

pub use markup::markup;

use super::data::ReportData;
use super::html::daily_chart;
use crate::i18n::Lang;
use chrono::{Datelike, Timelike};
use std::collections::HashMap;
use std::sync::OnceLock;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::layout::PagedDocument;
use typst::syntax::{FileId, Source, VirtualPath};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// Fonts and the standard library, loaded once per process.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let fonts: Vec<Font> = typst_assets::fonts()
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .collect();
        Shared {
            library: LazyHash::new(Library::builder().build()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
        }
    })
}

struct ReportWorld {
    main: Source,
    files: HashMap<FileId, Bytes>,
    today: Datetime,
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &shared().library
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &shared().book
    }
    fn main(&self) -> FileId {
        self.main.id()
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotFound(id.vpath().as_rootless_path().into()))
        }
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files
            .get(&id)
            .cloned()
            .ok_or_else(|| FileError::NotFound(id.vpath().as_rootless_path().into()))
    }
    fn font(&self, index: usize) -> Option<Font> {
        shared().fonts.get(index).cloned()
    }
    fn today(&self, _offset: Option<i64>) -> Option<Datetime> {
        Some(self.today)
    }
}

pub fn render(d: &ReportData, l: Lang) -> anyhow::Result<Vec<u8>> {
    let src = markup(d, l);
    let main = FileId::new(None, VirtualPath::new("/report.typ"));
    let mut files = HashMap::new();
    files.insert(
        FileId::new(None, VirtualPath::new("/coverage.svg")),
        Bytes::new(daily_chart(d, l, true).into_bytes()),
    );
    files.insert(
        FileId::new(None, VirtualPath::new("/usage.svg")),
        Bytes::new(daily_chart(d, l, false).into_bytes()),
    );
    let t = d.generated_at;
    let today = Datetime::from_ymd(t.year(), t.month() as u8, t.day() as u8)
        .ok_or_else(|| anyhow::anyhow!("generated_at {t} is outside typst's calendar"))?;
    let world = ReportWorld {
        main: Source::new(main, src),
        files,
        today,
    };
    let doc: PagedDocument = typst::compile(&world)
        .output
        .map_err(|e| anyhow::anyhow!("typst: {}", diagnostics(&e)))?;
    let stamp = Datetime::from_ymd_hms(
        t.year(),
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        t.second() as u8,
    )
    .ok_or_else(|| anyhow::anyhow!("generated_at {t} is outside typst's calendar"))?;
    let ident = format!(
        "pantau {} {} {:?}",
        d.city,
        d.period,
        d.opd.as_ref().map(|o| &o.kode)
    );
    let options = typst_pdf::PdfOptions {
        ident: Smart::Custom(&ident),
        timestamp: Some(typst_pdf::Timestamp::new_utc(stamp)),
        ..Default::default()
    };
    typst_pdf::pdf(&doc, &options).map_err(|e| anyhow::anyhow!("typst pdf: {}", diagnostics(&e)))
}

fn diagnostics(e: &[typst::diag::SourceDiagnostic]) -> String {
    e.iter()
        .map(|d| d.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}
