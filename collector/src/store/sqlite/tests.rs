use super::*;
use crate::store::testing::TestStore;
use pantau_proto::body::metrics::{CpuUsage, MemoryUsage, MountUsage};
use pantau_proto::body::Body;
use pantau_proto::body::{AgentState, Inventory, MetricsBatch, Sample, Status};
use pantau_proto::{AgentKey, Envelope, Kind};

async fn enrolled(s: &dyn Store, id: &str) -> AgentKey {
    let key = AgentKey::generate();
    s.enroll(&EnrolledAgent {
        agent_id: id.into(),
        opd: "0101".into(),
        public_key: key.public(),
        enrolled_at: Utc::now(),
    })
    .await
    .unwrap();
    key
}

fn msg(key: &AgentKey, id: &str, seq: u64, kind: Kind, body: Body) -> Accepted {
    let json = match &body {
        Body::Inventory(i) => serde_json::to_value(i).unwrap(),
        Body::Metrics(m) => serde_json::to_value(m).unwrap(),
        Body::Status(s) => serde_json::to_value(s).unwrap(),
        Body::Net(n) => serde_json::to_value(n).unwrap(),
        Body::Discovery(d) => serde_json::to_value(d).unwrap(),
        Body::Snmp(r) => serde_json::to_value(r).unwrap(),
        Body::Usage(u) => serde_json::to_value(u).unwrap(),
        Body::Other(v) => v.clone(),
    };
    Accepted {
        envelope: Envelope::sign(key, id, seq, Utc::now(), kind, &json),
        body,
        received_at: Utc::now(),
    }
}

fn sample(ts: i64, cpu: f64) -> Sample {
    Sample {
        ts: DateTime::from_timestamp(ts, 0).unwrap(),
        cpu: Some(CpuUsage {
            usage_pct: cpu,
            ..Default::default()
        }),
        memory: Some(MemoryUsage {
            total_bytes: 100,
            used_bytes: 25,
            available_bytes: 75,
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

fn metrics(samples: Vec<Sample>) -> Body {
    Body::Metrics(MetricsBatch {
        interval_s: 30,
        samples,
        spool: Default::default(),
    })
}

async fn enrolling_twice_is_refused(s: TestStore) {
    enrolled(&*s, "pc-1").await;
    let err = s
        .enroll(&EnrolledAgent {
            agent_id: "pc-1".into(),
            opd: "x".into(),
            public_key: AgentKey::generate().public(),
            enrolled_at: Utc::now(),
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already enrolled"));
    assert_eq!(s.agent("pc-1").await.unwrap().unwrap().opd, "0101");
    assert!(s.agent("pc-2").await.unwrap().is_none());
}

async fn stores_once_per_seq_and_reports_gaps(s: TestStore) {
    let key = enrolled(&*s, "pc-1").await;
    let now = Utc::now().timestamp();
    let inv = Inventory {
        hostname: "bkad-pc01".into(),
        ..Default::default()
    };
    let batch = vec![
        msg(
            &key,
            "pc-1",
            1,
            Kind::Inventory,
            Body::Inventory(Box::new(inv)),
        ),
        msg(
            &key,
            "pc-1",
            2,
            Kind::Metrics,
            metrics(vec![sample(now - 60, 10.0)]),
        ),
        msg(
            &key,
            "pc-1",
            2,
            Kind::Metrics,
            metrics(vec![sample(now - 60, 99.0)]),
        ),
        msg(
            &key,
            "pc-1",
            4,
            Kind::Metrics,
            metrics(vec![sample(now - 30, 30.0)]),
        ),
    ];
    let out = s.commit(&batch).await.unwrap();
    assert_eq!(
        out,
        vec![
            Outcome::Stored,
            Outcome::Stored,
            Outcome::Duplicate,
            Outcome::Stored
        ]
    );
    let h = s.host("pc-1").await.unwrap().unwrap();
    assert_eq!(h.summary.hostname.as_deref(), Some("bkad-pc01"));
    assert_eq!(h.summary.cpu_pct, Some(30.0));
    assert_eq!(h.summary.mem_pct, Some(25.0));
    assert_eq!(h.summary.disk_pct, Some(60.0));
    assert_eq!(
        (
            h.ingest.messages,
            h.ingest.first_seq,
            h.ingest.last_seq,
            h.ingest.missing
        ),
        (3, Some(1), Some(4), 1)
    );
    // The duplicate changed nothing: one cpu point at now-60 with the first value.
    let (res, series) = s
        .series(
            "pc-1",
            Utc::now() - chrono::Duration::hours(1),
            Utc::now(),
            1,
            &["cpu".into()],
        )
        .await
        .unwrap();
    assert_eq!(res, Resolution::Raw);
    assert_eq!(
        series[0].points.iter().map(|p| p.1).collect::<Vec<_>>(),
        vec![10.0, 30.0]
    );
}

/// A batch as ingest hands it over: two agents interleaved, a newer sample arriving before
/// an older one, a redelivery of a message stored by the previous batch. PostgreSQL stores
/// the batch set-wise (`postgres/commit.rs`), SQLite message by message; both must agree.
async fn a_mixed_batch_of_two_agents_keeps_the_newest_figures(s: TestStore) {
    let k1 = enrolled(&*s, "pc-1").await;
    let k2 = enrolled(&*s, "pc-2").await;
    let now = Utc::now().timestamp();
    let first = vec![msg(
        &k1,
        "pc-1",
        1,
        Kind::Metrics,
        metrics(vec![sample(now - 90, 5.0)]),
    )];
    assert_eq!(s.commit(&first).await.unwrap(), vec![Outcome::Stored]);
    let batch = vec![
        msg(
            &k2,
            "pc-2",
            7,
            Kind::Metrics,
            metrics(vec![sample(now - 10, 70.0)]),
        ),
        msg(
            &k1,
            "pc-1",
            3,
            Kind::Metrics,
            metrics(vec![sample(now - 20, 33.0)]),
        ),
        msg(
            &k1,
            "pc-1",
            1,
            Kind::Metrics,
            metrics(vec![sample(now - 90, 99.0)]),
        ),
        msg(
            &k2,
            "pc-2",
            6,
            Kind::Metrics,
            metrics(vec![sample(now - 40, 60.0)]),
        ),
        msg(
            &k1,
            "pc-1",
            2,
            Kind::Metrics,
            metrics(vec![sample(now - 60, 22.0), sample(now - 50, 23.0)]),
        ),
    ];
    assert_eq!(
        s.commit(&batch).await.unwrap(),
        vec![
            Outcome::Stored,
            Outcome::Stored,
            Outcome::Duplicate,
            Outcome::Stored,
            Outcome::Stored
        ]
    );
    let h1 = s.host("pc-1").await.unwrap().unwrap();
    let h2 = s.host("pc-2").await.unwrap().unwrap();
    assert_eq!(
        (h1.summary.cpu_pct, h2.summary.cpu_pct),
        (Some(33.0), Some(70.0))
    );
    assert_eq!((h1.ingest.messages, h1.ingest.missing), (3, 0));
    assert_eq!(
        (h2.ingest.first_seq, h2.ingest.last_seq),
        (Some(6), Some(7))
    );
    assert!(h1.summary.last_seen.is_some() && h2.summary.last_seen.is_some());
    let (_, series) = s
        .series(
            "pc-1",
            Utc::now() - chrono::Duration::hours(1),
            Utc::now(),
            1,
            &["cpu".into()],
        )
        .await
        .unwrap();
    assert_eq!(
        series[0].points.iter().map(|p| p.1).collect::<Vec<_>>(),
        vec![5.0, 22.0, 23.0, 33.0],
        "every sample once, the duplicate's value nowhere"
    );
}

async fn status_follows_the_newest_connection(s: TestStore) {
    let key = enrolled(&*s, "pc-1").await;
    let t0 = Utc::now();
    let st = |state, since| {
        Body::Status(Status {
            state,
            since,
            agent_version: "0.1.0".into(),
            hostname: String::new(),
            roles: vec![],
            spool_queued: 0,
            spool_dropped_total: 0,
        })
    };
    s.commit(&[msg(
        &key,
        "pc-1",
        0,
        Kind::Status,
        st(AgentState::Online, t0),
    )])
    .await
    .unwrap();
    assert!(s.hosts().await.unwrap()[0].online);
    s.commit(&[msg(
        &key,
        "pc-1",
        0,
        Kind::Status,
        st(AgentState::Offline, t0),
    )])
    .await
    .unwrap();
    assert!(!s.hosts().await.unwrap()[0].online);
    let t1 = t0 + chrono::Duration::seconds(5);
    s.commit(&[msg(
        &key,
        "pc-1",
        0,
        Kind::Status,
        st(AgentState::Online, t1),
    )])
    .await
    .unwrap();
    // A stale retained "offline" from the earlier connection does not win.
    s.commit(&[msg(
        &key,
        "pc-1",
        0,
        Kind::Status,
        st(AgentState::Offline, t0),
    )])
    .await
    .unwrap();
    assert!(s.hosts().await.unwrap()[0].online);
    let by_opd = s.hosts_by_opd().await.unwrap();
    assert_eq!((by_opd[0].online, by_opd[0].offline), (1, 0));
}

async fn rollups_include_late_data_and_retention_keeps_replays_out(s: TestStore) {
    let key = enrolled(&*s, "pc-1").await;
    let base = (Utc::now().timestamp() / 3600 - 3) * 3600; // an hour boundary, 3 h ago
    s.commit(&[msg(
        &key,
        "pc-1",
        1,
        Kind::Metrics,
        metrics(vec![sample(base + 10, 10.0), sample(base + 40, 20.0)]),
    )])
    .await
    .unwrap();
    let r = s.maintain(Utc::now(), Retention::default()).await.unwrap();
    assert_eq!(r.points_rolled_up, 8); // 2 samples x (cpu, mem, disk, disk:/)
                                       // A late batch for the same five minutes arrives after the rollup ran.
    s.commit(&[msg(
        &key,
        "pc-1",
        2,
        Kind::Metrics,
        metrics(vec![sample(base + 70, 60.0)]),
    )])
    .await
    .unwrap();
    s.maintain(Utc::now(), Retention::default()).await.unwrap();
    let from = DateTime::from_timestamp(base, 0).unwrap();
    let (res, series) = s
        .series(
            "pc-1",
            from,
            from + chrono::Duration::hours(1),
            300,
            &["cpu".into()],
        )
        .await
        .unwrap();
    assert_eq!(res, Resolution::M5);
    assert_eq!(series[0].points, vec![(base, 30.0, 10.0, 60.0)]);
    let (res, series) = s
        .series(
            "pc-1",
            from,
            from + chrono::Duration::days(1),
            3600,
            &["cpu".into()],
        )
        .await
        .unwrap();
    assert_eq!(res, Resolution::H1);
    assert_eq!(series[0].points[0].1, 30.0);

    // Ten years on, everything is past retention; the index is gone but replays stay refused.
    let later = Utc::now() + chrono::Duration::days(3651);
    let r = s.maintain(later, Retention::default()).await.unwrap();
    assert!(r.rows_pruned > 0);
    let out = s
        .commit(&[msg(
            &key,
            "pc-1",
            2,
            Kind::Metrics,
            metrics(vec![sample(base, 1.0)]),
        )])
        .await
        .unwrap();
    assert_eq!(out, vec![Outcome::Replay]);
    let out = s
        .commit(&[msg(
            &key,
            "pc-1",
            3,
            Kind::Metrics,
            metrics(vec![sample(base, 1.0)]),
        )])
        .await
        .unwrap();
    assert_eq!(out, vec![Outcome::Stored]);
}

crate::both!(
    enrolling_twice_is_refused,
    stores_once_per_seq_and_reports_gaps,
    a_mixed_batch_of_two_agents_keeps_the_newest_figures,
    status_follows_the_newest_connection,
    rollups_include_late_data_and_retention_keeps_replays_out,
);
