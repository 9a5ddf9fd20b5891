//! A small city over October 2026: 3 OPDs, 18 PCs and 3 printers in the register (imported
//! from CSV), agents sending inventories, hourly metrics and net reports through
//! `Store::commit` (the ingest path), a real reconciliation and rollup run. The report's
//! figures are checked against figures computed here straight from the raw points with
//! SQL, and the HTML and XLSX are checked to be byte-for-byte reproducible.

mod bench_fill;
pub(crate) mod fleet;
#[cfg(feature = "pdf")]
mod pdf;

use super::period::{Period, Zone};
use super::*;
use fleet::*;

async fn october(f: &Fleet, opd: Option<&str>) -> data::ReportData {
    let req = Request {
        period: Period::parse("2026-10", Zone::Wit).unwrap(),
        opd: opd.map(str::to_string),
        lang: Lang::Id,
    };
    data(
        &f.store,
        &req,
        &config::ReportConfig::default(),
        generated_at(),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn figures_equal_those_computed_from_the_raw_points() {
    let f = Fleet::build().await;
    let d = october(&f, None).await;
    let db = f.sql();
    let p = Period::parse("2026-10", Zone::Wit).unwrap();
    let (from, to) = (p.start().timestamp(), p.end().timestamp());

    // Coverage per OPD: expected assets whose matched agent has a raw cpu point in October.
    let mut st = db
        .prepare(
            "SELECT ra.kode_lokasi, count(*),
                    sum(EXISTS (SELECT 1 FROM points p WHERE p.agent_id = ra.agent_id
                                AND p.name = 'cpu' AND p.ts >= ?1 AND p.ts < ?2))
             FROM reconcile_assets ra WHERE ra.expects_agent = 1
             GROUP BY ra.kode_lokasi ORDER BY ra.kode_lokasi",
        )
        .unwrap();
    let want: Vec<(String, u64, u64)> = st
        .query_map([from, to], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let got: Vec<(String, u64, u64)> = d
        .opds
        .iter()
        .map(|o| {
            (
                o.opd.kode.clone(),
                o.coverage.expected,
                o.coverage.reporting,
            )
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(
        want[2],
        (OPDS[2].0.to_string(), 6, 2),
        "the fleet is as designed"
    );
    let below: Vec<&str> = d
        .opds
        .iter()
        .filter(|o| o.coverage.ratio() < d.coverage_threshold)
        .map(|o| o.opd.kode.as_str())
        .collect();
    assert_eq!(
        below,
        [OPDS[0].0, OPDS[2].0],
        "kominfo lost one, bappeda four"
    );

    // Per host: average and nearest-rank p95 of CPU from raw points (one per hour, so the
    // hourly averages are the points themselves).
    let mut host_avgs = Vec::new();
    for a in d
        .appendix
        .iter()
        .filter(|a| a.active_hours.is_some_and(|h| h > 0))
    {
        let agent = a.line.agent_id.as_deref().unwrap();
        let mut v: Vec<f64> = db
            .prepare("SELECT value FROM points WHERE agent_id = ?1 AND name = 'cpu' AND ts >= ?2 AND ts < ?3")
            .unwrap()
            .query_map(rusqlite::params![agent, from, to], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        v.sort_by(f64::total_cmp);
        let avg = v.iter().sum::<f64>() / v.len() as f64;
        let p95 = v[(0.95 * v.len() as f64).ceil() as usize - 1];
        let cpu = a.cpu.unwrap();
        assert!(
            (cpu.avg - avg).abs() < 1e-9,
            "{agent}: {} vs {avg}",
            cpu.avg
        );
        assert_eq!(cpu.p95, p95, "{agent}");
        assert_eq!(a.active_hours, Some(v.len() as u32), "{agent}");
        host_avgs.push(avg);
    }
    assert_eq!(host_avgs.len(), 13);
    let pc = d
        .summary
        .usage
        .iter()
        .find(|u| u.class == Some(classes::Class::Pc))
        .unwrap();
    let mean = host_avgs.iter().sum::<f64>() / host_avgs.len() as f64;
    assert!((pc.cpu.unwrap().avg - mean).abs() < 1e-9);
    assert_eq!(pc.hosts, 13);

    // Network: the OPD's mean gateway loss and e-Gov availability over raw points.
    let (loss, up): (f64, f64) = db
        .query_row(
            "SELECT (SELECT avg(value) FROM points p JOIN agents a USING (agent_id)
                     WHERE a.opd = ?1 AND name = 'net_loss:gateway' AND ts >= ?2 AND ts < ?3),
                    (SELECT avg(value) FROM points p JOIN agents a USING (agent_id)
                     WHERE a.opd = ?1 AND name = 'http_up:sipd' AND ts >= ?2 AND ts < ?3)",
            rusqlite::params![OPDS[0].0, from, to],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let net = d.opds[0].net.as_ref().unwrap();
    assert!((net.gateway_loss_pct.unwrap() - loss).abs() < 1e-9);
    assert!((net.services["sipd"] - up).abs() < 1e-9);
    assert!((up - 0.75).abs() < 1e-9, "one check in four failed: {up}");

    // Candidates, changes, recommendations.
    let keys =
        |v: &[data::UsageCandidate]| v.iter().map(|c| c.agent_id.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&d.summary.overused), ["pc-0-2"]);
    assert_eq!(keys(&d.summary.underused), ["pc-1-2"]);
    assert_eq!(d.summary.changes.missing, [key(0, 5)]);
    assert_eq!(
        d.summary.changes.added,
        [format!("{}|1.3.2.10.02.03.003|000099", OPDS[1].0)]
    );
    assert_eq!(
        d.summary.changes.moved,
        [(
            key(1, 3),
            "Ruang Server".to_string(),
            "Ruang Rapat".to_string()
        )]
    );
    let rec: Vec<(String, data::Action)> = d
        .summary
        .recommendations
        .iter()
        .map(|r| (r.key.clone(), r.action))
        .collect();
    assert_eq!(
        rec,
        [
            (key(0, 0), data::Action::Replace),
            (key(0, 1), data::Action::Replace),
            (key(1, 1), data::Action::Repair),
        ]
    );
    // The backdated flag is counted; flags opened after October are not.
    assert_eq!(d.summary.flags.by_kind["silent"]["open"], 1);
    assert_eq!(
        d.summary.flags.by_kind.len(),
        1,
        "{:?}",
        d.summary.flags.by_kind
    );
    // Indonesian inventory: register conditions side by side with suggestions.
    let inv = d
        .summary
        .inventory
        .iter()
        .find(|c| c.class == Some(classes::Class::Pc))
        .unwrap();
    assert_eq!(
        (inv.assets, inv.register["RB"], inv.register["RR"]),
        (18, 1, 1)
    );

    // The HTML states those figures, formatted the Indonesian way.
    let html = html::render(&d, Lang::Id);
    for want in [
        "33,3 %",
        "83,3 %",
        &format!("{:.1}", mean).replace('.', ","),
        "Perwali Ternate 33/2021 Pasal 12 ayat 13",
        "Oktober 2026",
        "75,0 %",
        "<svg",
    ] {
        assert!(html.contains(want), "HTML lacks {want:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_data_gives_the_same_bytes() {
    let f = Fleet::build().await;
    for opd in [None, Some(OPDS[1].0)] {
        let a = october(&f, opd).await;
        let b = october(&f, opd).await;
        #[allow(unused_mut, clippy::useless_vec)]
        let mut all = vec![
            (Format::Html, Lang::Id),
            (Format::Html, Lang::En),
            (Format::Xlsx, Lang::Id),
            (Format::Xlsx, Lang::En),
        ];
        #[cfg(feature = "pdf")]
        all.push((Format::Pdf, Lang::Id));
        let first: Vec<Vec<u8>> = all
            .iter()
            .map(|(f, l)| render(&a, *f, *l).unwrap())
            .collect();
        // Past a second boundary: a writer stamping the clock would now differ.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        for ((format, lang), x) in all.iter().zip(first) {
            let y = render(&b, *format, *lang).unwrap();
            assert!(
                x == y,
                "{format:?} {lang:?} {opd:?} differs between two runs"
            );
            assert!(x.len() > 2000);
        }
    }
    // The workbook's asset sheet follows the register export's columns, then the report's.
    let d = october(&f, Some(OPDS[1].0)).await;
    let bytes = render(&d, Format::Xlsx, Lang::Id).unwrap();
    use calamine::Reader;
    let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names(), ["Ringkasan", OPDS[1].0]);
    let sheet = wb.worksheet_range(OPDS[1].0).unwrap();
    let header: Vec<String> = sheet
        .rows()
        .nth(2)
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let export: Vec<&str> = crate::register::export::COLUMNS
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(&header[..export.len()], &export[..]);
    assert_eq!(header[export.len()], "Kelas");
    assert_eq!(
        sheet.rows().count(),
        3 + 8,
        "two title rows, the header, 8 assets"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_opd_report_holds_only_that_opd() {
    let f = Fleet::build().await;
    let d = october(&f, Some(OPDS[2].0)).await;
    assert_eq!(d.opds.len(), 1);
    assert!(d.appendix.iter().all(|a| a.line.kode_lokasi == OPDS[2].0));
    assert_eq!(d.summary.coverage.silent.len(), 4);
    let req = Request {
        period: Period::parse("2026-10", Zone::Wit).unwrap(),
        opd: Some("99.99".into()),
        lang: Lang::Id,
    };
    let err = data(&f.store, &req, &Default::default(), generated_at())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("99.99"), "{err}");
}

#[test]
fn format_lists_are_checked_by_name() {
    assert_eq!(
        Format::parse_list("html, xlsx,html").unwrap(),
        [Format::Html, Format::Xlsx]
    );
    assert!(Format::parse_list("html,docx")
        .unwrap_err()
        .contains("\"docx\""));
    assert!(Format::parse_list("").is_err());
    assert_eq!(
        Format::parse_list("PDF,html").unwrap(),
        [Format::Pdf, Format::Html]
    );
}
