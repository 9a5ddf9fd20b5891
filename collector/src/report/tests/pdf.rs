//! The PDF of the simulated city: its text (pdftotext) states the report's figures, every
//! page renders (pdftoppm). The pages are kept as PNG under
//! `$CARGO_TARGET_DIR/report-pages/` (default `target/report-pages/`) to look at.

use super::*;
use std::path::PathBuf;
use std::process::Command;

fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("report-pages");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (install poppler-utils)"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pdf_states_the_figures_and_every_page_renders() {
    let f = Fleet::build().await;
    let d = october(&f, None).await;
    let bytes = render(&d, Format::Pdf, Lang::Id).unwrap();
    let dir = artifacts();
    let pdf = dir.join("laporan-kota-2026-10.pdf");
    std::fs::write(&pdf, &bytes).unwrap();

    let text = run(Command::new("pdftotext").arg(&pdf).arg("-"));
    let pc = d
        .summary
        .usage
        .iter()
        .find(|u| u.class == Some(classes::Class::Pc))
        .unwrap();
    let mean = text::num(pc.cpu.unwrap().avg, 1, Lang::Id);
    for want in [
        "Kota Ternate",
        "Oktober 2026",
        "Perwali Ternate 33/2021 Pasal 12 ayat 13",
        "Perwali Kotamobagu Pasal 37",
        "33,3 %",
        "83,3 %",
        "75,0 %",
        mean.as_str(),
        OPDS[2].0,
        "Rekomendasi",
        "Mengetahui",
    ] {
        assert!(
            text.contains(want),
            "the PDF's text lacks {want:?}:\n{text}"
        );
    }

    let info = run(Command::new("pdfinfo").arg(&pdf));
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .map(|n| n.trim().parse().unwrap())
        .unwrap();
    assert!(pages >= 6, "{pages} pages");
    // Render into a directory of this run only, then keep the pages where people look: a
    // shared folder (an earlier run's pages, a second checkout's target) cannot skew the count.
    let fresh = tempfile::tempdir_in(&dir).unwrap();
    run(Command::new("pdftoppm")
        .args(["-r", "60", "-png"])
        .arg(&pdf)
        .arg(fresh.path().join("page")));
    let pngs: Vec<_> = std::fs::read_dir(fresh.path())
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|e| e == "png"))
        .collect();
    assert_eq!(pngs.len(), pages, "one image per page of {}", pdf.display());
    for p in pngs {
        assert!(
            p.metadata().unwrap().len() > 1000,
            "{} is empty",
            p.path().display()
        );
        let _ = std::fs::rename(p.path(), dir.join(p.file_name()));
    }
}
