//! The simulated city of the report tests (see `tests.rs`), built through the same paths
//! as production: CSV import, `Store::commit` of signed envelopes, reconciliation, rollups.
//!
//! Per OPD six PCs (expected to run an agent) and one printer. Agents send eight hourly
//! samples a day (08:00–15:00 WIT) through October 2026, except:
//! - `pc-0-5` reports in September only (missing since the previous period);
//! - OPD 2's PCs 0–1 have no agent at all and PCs 2–3 send an inventory but no metrics;
//! - `pc-0-2` runs hot (CPU 92–96 %), `pc-1-2` idles (CPU ≤ 2 %, memory 20 %).
//!
//! OPD 0's agents also send net reports: gateway loss `k % 3` %, the `sipd` check failing
//! every fourth round. Register version 2 (dated 15 October) moves `pc-1-3` to another room
//! and adds a printer to OPD 1.

use crate::report::period::{Period, Zone};
use crate::store::sqlite::SqliteStore;
use crate::store::{Accepted, EnrolledAgent, Retention, Store};
use chrono::{DateTime, Utc};
use pantau_proto::body::metrics::{CpuUsage, MemoryUsage, MountUsage};
use pantau_proto::body::net::{HttpResult, ProbeResult};
use pantau_proto::body::{Body, Inventory, MetricsBatch, NetReport, Sample};
use pantau_proto::{AgentKey, Envelope, Kind};

pub const OPDS: [(&str, &str); 3] = [
    (
        "82.71.02.16.01",
        "Dinas Komunikasi Informatika dan Persandian",
    ),
    ("82.71.03.01.01", "Dinas Kesehatan"),
    ("82.71.04.01.01", "Badan Perencanaan Pembangunan Daerah"),
];
pub const PCS: usize = 6;
const HEADER: &str = "kode_lokasi,nama_opd,kode_barang,nama_barang,nomor_register,nibar,merk,tipe,ukuran_cc,bahan,tahun_perolehan,nomor_pabrik,asal_usul,harga,kondisi,ruangan,pemegang,keterangan,jumlah\n";

pub struct Fleet {
    pub dir: tempfile::TempDir,
    pub store: SqliteStore,
}

pub fn generated_at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-02T01:00:00Z")
        .unwrap()
        .to_utc()
}

pub fn key(o: usize, i: usize) -> String {
    format!("{}|1.3.2.10.01.02.001|{:06}", OPDS[o].0, i + 1)
}

fn serial(o: usize, i: usize) -> String {
    format!("SN{o}{i:04}")
}

/// The register as CSV; version 2 moves one PC and adds a printer.
pub fn register_csv(version: u8) -> String {
    let mut s = HEADER.to_string();
    for (o, (kode, nama)) in OPDS.iter().enumerate() {
        for i in 0..PCS {
            let year = if (o, i) == (0, 0) { 2019 } else { 2022 };
            let kondisi = match (o, i) {
                (0, 1) => "RB",
                (1, 1) => "RR",
                _ => "B",
            };
            let room = if (o, i) == (1, 3) && version == 2 {
                "Ruang Rapat"
            } else {
                "Ruang Server"
            };
            s += &format!(
                "{kode},{nama},1.3.2.10.01.02.001,P.C Unit,{:06},,HP,ProDesk 400 G7 MT,-,Campuran,{year},{},Pembelian,12450000,{kondisi},{room},Staf {i},,1\n",
                i + 1,
                serial(o, i)
            );
        }
        s += &format!("{kode},{nama},1.3.2.10.02.03.003,Printer,000050,,Epson,L3210,-,Campuran,2024,PR{o},Pembelian,2500000,B,Ruang TU,Staf TU,,1\n");
        if o == 1 && version == 2 {
            s += &format!("{kode},{nama},1.3.2.10.02.03.003,Printer,000099,,Epson,L3210,-,Campuran,2026,PR99,Pembelian,2500000,B,Ruang TU,Staf TU,,1\n");
        }
    }
    s
}

fn sample(ts: i64, cpu: f64, mem_pct: u64) -> Sample {
    Sample {
        ts: DateTime::from_timestamp(ts, 0).unwrap(),
        cpu: Some(CpuUsage {
            usage_pct: cpu,
            ..Default::default()
        }),
        memory: Some(MemoryUsage {
            total_bytes: 1000,
            used_bytes: mem_pct * 10,
            available_bytes: 1000 - mem_pct * 10,
            ..Default::default()
        }),
        mounts: vec![MountUsage {
            mount: "/".into(),
            total_bytes: 100,
            used_bytes: 60,
            avail_bytes: 40,
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn net(ts: i64, k: usize) -> NetReport {
    NetReport {
        ts: DateTime::from_timestamp(ts, 0),
        probes: vec![ProbeResult {
            name: "gateway".into(),
            target: "10.0.0.1".into(),
            sent: 10,
            received: 10,
            loss_pct: (k % 3) as f64,
            rtt_median_ms: Some(2.0),
            ..Default::default()
        }],
        http: vec![HttpResult {
            name: "sipd".into(),
            url: "https://sipd.example.go.id/".into(),
            status: Some(if k.is_multiple_of(4) { 503 } else { 200 }),
            ms: Some(120.0),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn envelope(key: &AgentKey, id: &str, seq: u64, kind: Kind, body: Body) -> Accepted {
    let json = match &body {
        Body::Inventory(i) => serde_json::to_value(i).unwrap(),
        Body::Metrics(m) => serde_json::to_value(m).unwrap(),
        Body::Net(n) => serde_json::to_value(n).unwrap(),
        _ => unreachable!("the fleet sends inventories, metrics and net reports"),
    };
    Accepted {
        envelope: Envelope::sign(key, id, seq, Utc::now(), kind, &json),
        body,
        received_at: Utc::now(),
    }
}

/// CPU of host (o, i) at its k-th sample.
pub fn cpu(o: usize, i: usize, k: usize) -> f64 {
    match (o, i) {
        (0, 2) => 92.0 + (k % 5) as f64,
        (1, 2) => 1.0 + (k % 3) as f64 * 0.5,
        _ => 15.0 + ((k * 7 + i * 3) % 40) as f64,
    }
}

impl Fleet {
    pub async fn build() -> Fleet {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("pantau.db")).unwrap();
        let parsed = crate::register::parse_csv("v1.csv", register_csv(1).as_bytes()).unwrap();
        store
            .import_register(&parsed.rows, "v1.csv", false)
            .await
            .unwrap();
        let oct = Period::parse("2026-10", Zone::Wit).unwrap();
        for (o, (kode, _)) in OPDS.iter().enumerate() {
            for i in 0..PCS {
                if (o, i) == (2, 0) || (o, i) == (2, 1) {
                    continue;
                }
                let id = format!("pc-{o}-{i}");
                let k = AgentKey::generate();
                store
                    .enroll(&EnrolledAgent {
                        agent_id: id.clone(),
                        opd: kode.to_string(),
                        public_key: k.public(),
                        enrolled_at: Utc::now(),
                    })
                    .await
                    .unwrap();
                let mut inv = Inventory {
                    hostname: id.clone(),
                    collected_at: Some(Utc::now()),
                    ..Default::default()
                };
                inv.system.serial = Some(serial(o, i));
                inv.system.vendor = Some("HP".into());
                inv.system.model = Some("HP ProDesk 400 G7 Microtower PC".into());
                let mut batch = vec![envelope(
                    &k,
                    &id,
                    1,
                    Kind::Inventory,
                    Body::Inventory(Box::new(inv)),
                )];
                let period = match (o, i) {
                    (2, 2) | (2, 3) => None,
                    (0, 5) => Some(oct.previous()),
                    _ => Some(oct),
                };
                if let Some(p) = period {
                    let mem = if (o, i) == (1, 2) { 20 } else { 55 };
                    let mut kth = 0;
                    let days = (p.hours() / 24) as i64;
                    for d in 0..days {
                        let mut samples = Vec::new();
                        let mut nets = Vec::new();
                        for h in 8..16 {
                            let ts = p.start().timestamp() + d * 86_400 + h * 3600;
                            samples.push(sample(ts, cpu(o, i, kth), mem));
                            if o == 0 {
                                nets.push(net(ts, kth));
                            }
                            kth += 1;
                        }
                        let seq = batch.len() as u64 + 1;
                        let m = MetricsBatch {
                            interval_s: 3600,
                            samples,
                            spool: Default::default(),
                        };
                        batch.push(envelope(&k, &id, seq, Kind::Metrics, Body::Metrics(m)));
                        for n in nets {
                            let seq = batch.len() as u64 + 1;
                            batch.push(envelope(&k, &id, seq, Kind::Net, Body::Net(Box::new(n))));
                        }
                    }
                }
                store.commit(&batch).await.unwrap();
            }
        }
        crate::reconciler::run_once(&store, &Default::default())
            .await
            .unwrap();
        let parsed = crate::register::parse_csv("v2.csv", register_csv(2).as_bytes()).unwrap();
        store
            .import_register(&parsed.rows, "v2.csv", false)
            .await
            .unwrap();
        crate::reconciler::run_once(&store, &Default::default())
            .await
            .unwrap();
        let keep = Retention {
            raw_days: 3650,
            m5_days: 3650,
            h1_days: 3650,
            d1_days: 0,
        };
        store.maintain(oct.end(), keep).await.unwrap();
        let f = Fleet { dir, store };
        // Register v2 and one silent flag are dated inside October: the import and the
        // reconciliation ran now, and the report must see them in the period.
        f.sql()
            .execute_batch(
                "UPDATE asset_history SET at = '2026-10-15T03:00:00+00:00' WHERE source = 'v2.csv';
                 UPDATE flags SET opened_at = '2026-10-10T00:00:00+00:00'
                 WHERE id = (SELECT min(id) FROM flags WHERE kind = 'silent');",
            )
            .unwrap();
        f
    }

    /// A second connection to the same database, for checks and backdating.
    pub fn sql(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.path().join("pantau.db")).unwrap()
    }
}
