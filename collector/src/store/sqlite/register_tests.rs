use crate::register::{parse_csv, AssetRow};
use crate::store::testing::TestStore;
use crate::store::ImportReport;

const SIMDA: &str = include_str!("../../register/testdata/register-simda-style.csv");
const LAPTOP: &str = "82.71.05.01.01|1.3.2.10.01.02.002|000005";
const NEW_PC: &str = "82.71.05.01.01|1.3.2.10.01.02.001|000006";

fn rows(csv: &str) -> Vec<AssetRow> {
    parse_csv("register.csv", csv.as_bytes()).unwrap().rows
}

/// The SIMDA sample a year later: the laptop is now Rusak Berat, the switch is gone and a
/// new PC was bought.
fn modified() -> String {
    let mut lines: Vec<String> = SIMDA.lines().map(str::to_owned).collect();
    lines[2] = lines[2].replace("Kurang Baik", "RB");
    let switch = lines.remove(3);
    assert!(switch.contains("Switch"));
    lines.push(
        "4;82.71.05.01.01;1.3.2.10.01.02.001.;P.C Unit;000006;Lenovo / ThinkCentre M70;-;\
         Campuran;2023;PC0ABCDE;-;-;-;-;Pembelian;11.000.000,00;B;Pengadaan 2023"
            .into(),
    );
    lines.join("\n") + "\n"
}

fn switch_key() -> String {
    let all = rows(SIMDA);
    all.iter()
        .find(|r| r.nama_barang == "Switch")
        .unwrap()
        .key()
}

async fn counts(s: &TestStore) -> (i64, i64, i64) {
    (
        s.scalar("SELECT count(*) FROM assets").await,
        s.scalar("SELECT count(*) FROM assets WHERE removed_at IS NOT NULL")
            .await,
        s.scalar("SELECT count(*) FROM asset_history").await,
    )
}

/// `(change, before kondisi, after kondisi, source)` of one asset's history, oldest first.
async fn history(
    s: &TestStore,
    key: &str,
) -> Vec<(String, Option<String>, Option<String>, String)> {
    // Keys are register codes (digits, dots, bars): safe to splice in a test.
    assert!(!key.contains('\''));
    let kondisi = |json: &Option<String>| {
        json.as_deref()
            .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
            .and_then(|v| v["kondisi"].as_str().map(str::to_owned))
    };
    s.texts(&format!(
        "SELECT change, before, after, source FROM asset_history WHERE key = '{key}' ORDER BY id"
    ))
    .await
    .into_iter()
    .map(|r| {
        (
            r[0].clone().unwrap(),
            kondisi(&r[1]),
            kondisi(&r[2]),
            r[3].clone().unwrap(),
        )
    })
    .collect()
}

async fn first_import_adds_every_asset(s: TestStore) {
    let r = s
        .import_register(&rows(SIMDA), "simda.csv", false)
        .await
        .unwrap();
    assert_eq!(r.added.len(), 6);
    assert!(r.added.contains(&LAPTOP.to_string()));
    assert!(r.changed.is_empty() && r.removed.is_empty() && r.restored.is_empty());
    assert_eq!(r.unchanged, 0);
    assert_eq!(counts(&s).await, (6, 0, 6));
    let h = history(&s, LAPTOP).await;
    assert_eq!(
        h,
        vec![(
            "added".into(),
            None,
            Some("kurang_baik".into()),
            "simda.csv".into()
        )]
    );
}

async fn reimporting_the_same_file_changes_nothing(s: TestStore) {
    s.import_register(&rows(SIMDA), "a.csv", false)
        .await
        .unwrap();
    let r = s
        .import_register(&rows(SIMDA), "a.csv", false)
        .await
        .unwrap();
    assert_eq!(
        r,
        ImportReport {
            unchanged: 6,
            ..Default::default()
        }
    );
    assert_eq!(counts(&s).await, (6, 0, 6));
}

async fn a_newer_export_changes_removes_and_adds(s: TestStore) {
    s.import_register(&rows(SIMDA), "2024.csv", false)
        .await
        .unwrap();
    let r = s
        .import_register(&rows(&modified()), "2025.csv", false)
        .await
        .unwrap();
    let switch = switch_key();
    assert_eq!(
        r,
        ImportReport {
            added: vec![NEW_PC.into()],
            changed: vec![(LAPTOP.into(), vec!["kondisi".into()])],
            removed: vec![switch.clone()],
            restored: vec![],
            unchanged: 4,
        }
    );
    // Nothing deleted: 7 assets, one of them removed; 6 + 3 history rows.
    assert_eq!(counts(&s).await, (7, 1, 9));
    assert_eq!(
        history(&s, LAPTOP).await,
        vec![
            (
                "added".into(),
                None,
                Some("kurang_baik".into()),
                "2024.csv".into()
            ),
            (
                "changed".into(),
                Some("kurang_baik".into()),
                Some("rusak_berat".into()),
                "2025.csv".into()
            ),
        ]
    );
    assert_eq!(
        history(&s, &switch).await,
        vec![
            (
                "added".into(),
                None,
                Some("rusak_berat".into()),
                "2024.csv".into()
            ),
            (
                "removed".into(),
                Some("rusak_berat".into()),
                None,
                "2025.csv".into()
            ),
        ]
    );
    assert_eq!(
        history(&s, NEW_PC).await,
        vec![("added".into(), None, Some("baik".into()), "2025.csv".into())]
    );
    // The columns follow the row.
    let kondisi = s
        .texts(&format!(
            "SELECT kondisi FROM assets WHERE key = '{LAPTOP}'"
        ))
        .await;
    assert_eq!(kondisi, vec![vec![Some("RB".to_string())]]);
    // A removed asset is not removed again by the next import.
    let again = s
        .import_register(&rows(&modified()), "2025.csv", false)
        .await
        .unwrap();
    assert_eq!(again.unchanged, 6);
    assert!(again.removed.is_empty());
}

async fn dry_run_reports_but_stores_nothing(s: TestStore) {
    let dry = s
        .import_register(&rows(SIMDA), "a.csv", true)
        .await
        .unwrap();
    assert_eq!(dry.added.len(), 6);
    assert_eq!(counts(&s).await, (0, 0, 0));

    s.import_register(&rows(SIMDA), "a.csv", false)
        .await
        .unwrap();
    let before = counts(&s).await;
    let dry = s
        .import_register(&rows(&modified()), "b.csv", true)
        .await
        .unwrap();
    let real = s
        .import_register(&rows(&modified()), "b.csv", false)
        .await
        .unwrap();
    assert_ne!(before, counts(&s).await);
    assert_eq!(dry, real, "a dry run reports what the import then does");
}

async fn dry_run_leaves_the_database_as_it_was(s: TestStore) {
    s.import_register(&rows(SIMDA), "a.csv", false)
        .await
        .unwrap();
    let before = counts(&s).await;
    let r = s
        .import_register(&rows(&modified()), "b.csv", true)
        .await
        .unwrap();
    assert_eq!(r.removed.len(), 1);
    assert_eq!(counts(&s).await, before);
    assert_eq!(history(&s, LAPTOP).await.len(), 1);
}

async fn a_removed_asset_that_reappears_is_restored(s: TestStore) {
    s.import_register(&rows(SIMDA), "1.csv", false)
        .await
        .unwrap();
    s.import_register(&rows(&modified()), "2.csv", false)
        .await
        .unwrap();
    let switch = switch_key();
    let r = s
        .import_register(&rows(SIMDA), "3.csv", false)
        .await
        .unwrap();
    assert_eq!(r.restored, vec![(switch.clone(), vec![])]);
    assert_eq!(
        r.changed,
        vec![(LAPTOP.to_string(), vec!["kondisi".to_string()])]
    );
    assert_eq!(r.removed, vec![NEW_PC.to_string()]);
    assert!(r.added.is_empty());
    assert_eq!(r.unchanged, 4);
    let h = history(&s, &switch).await;
    assert_eq!(h.len(), 3);
    assert_eq!(
        h[2],
        (
            "restored".into(),
            Some("rusak_berat".into()),
            Some("rusak_berat".into()),
            "3.csv".into()
        )
    );
    // Current again: only the new PC is removed now.
    assert_eq!(counts(&s).await.1, 1);
}

async fn a_resorted_export_is_unchanged(s: TestStore) {
    s.import_register(&rows(SIMDA), "a.csv", false)
        .await
        .unwrap();
    let mut reversed = rows(SIMDA);
    reversed.reverse();
    for (i, r) in reversed.iter_mut().enumerate() {
        r.source_line = 100 + i;
    }
    let r = s.import_register(&reversed, "b.csv", false).await.unwrap();
    assert_eq!(r.unchanged, 6);
}

async fn an_export_of_one_opd_leaves_other_opds_alone(s: TestStore) {
    let simda = rows(SIMDA);
    s.import_register(&simda, "simda.csv", false).await.unwrap();
    // Another city export covering other kode lokasi: the SIMDA OPD's assets stay.
    let other = rows(include_str!("../../register/testdata/register-sample.csv"));
    let r = s
        .import_register(&other, "sample.csv", false)
        .await
        .unwrap();
    assert!(r.removed.is_empty(), "{r:?}");
    assert_eq!(r.added.len(), other.len());
    // The SIMDA OPD's own newer export still removes what it no longer lists.
    let r = s
        .import_register(&rows(&modified()), "simda-2027.csv", false)
        .await
        .unwrap();
    assert_eq!(r.removed, vec![switch_key()]);
}

crate::both!(
    first_import_adds_every_asset,
    reimporting_the_same_file_changes_nothing,
    a_newer_export_changes_removes_and_adds,
    dry_run_reports_but_stores_nothing,
    dry_run_leaves_the_database_as_it_was,
    a_removed_asset_that_reappears_is_restored,
    a_resorted_export_is_unchanged,
    an_export_of_one_opd_leaves_other_opds_alone,
);
