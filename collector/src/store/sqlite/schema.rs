//! Schema migrations, applied in order and recorded in `PRAGMA user_version`.
//!
//! A migration is never edited once released; a change is a new entry at the end.

use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    // 1: foundation.
    r#"
    CREATE TABLE agents (
        agent_id    TEXT PRIMARY KEY,
        opd         TEXT NOT NULL,
        public_key  TEXT NOT NULL,
        enrolled_at TEXT NOT NULL,
        revoked_at  TEXT
    );
    -- The current picture of each host, updated as messages arrive.
    CREATE TABLE hosts (
        agent_id      TEXT PRIMARY KEY REFERENCES agents(agent_id),
        hostname      TEXT,
        os            TEXT,
        ip            TEXT,
        online        INTEGER NOT NULL DEFAULT 0,
        status_since  TEXT,
        agent_version TEXT,
        last_seen     TEXT,
        cpu_pct       REAL,
        mem_pct       REAL,
        disk_pct      REAL,
        metrics_ts    INTEGER,
        inventory_seq INTEGER,
        inventory_at  TEXT,
        spool_dropped_total INTEGER NOT NULL DEFAULT 0,
        -- Highest seq whose index row was pruned: anything at or below it is a replay.
        seq_floor     INTEGER NOT NULL DEFAULT 0
    );
    -- Index of every data message stored: the deduplication key.
    CREATE TABLE messages (
        agent_id    TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        kind        TEXT NOT NULL,
        ts          TEXT NOT NULL,
        received_at TEXT NOT NULL,
        PRIMARY KEY (agent_id, seq)
    ) WITHOUT ROWID;
    CREATE INDEX messages_by_received ON messages(received_at);
    CREATE TABLE inventories (
        agent_id TEXT NOT NULL,
        seq      INTEGER NOT NULL,
        ts       TEXT NOT NULL,
        body     TEXT NOT NULL,
        PRIMARY KEY (agent_id, seq)
    ) WITHOUT ROWID;
    -- Full samples (top processes, per-device detail) for the raw retention period.
    CREATE TABLE samples (
        agent_id TEXT NOT NULL,
        ts       INTEGER NOT NULL,
        seq      INTEGER NOT NULL,
        body     TEXT NOT NULL
    );
    CREATE INDEX samples_by_host ON samples(agent_id, ts);
    -- AUTOINCREMENT: ids never go back even when pruning empties the table, because the
    -- rollup job's watermark is an id.
    CREATE TABLE points (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        agent_id TEXT NOT NULL,
        name     TEXT NOT NULL,
        ts       INTEGER NOT NULL,
        value    REAL NOT NULL
    );
    CREATE INDEX points_by_series ON points(agent_id, name, ts);
    CREATE INDEX points_by_ts ON points(ts);
    CREATE TABLE rollups (
        res      INTEGER NOT NULL,
        agent_id TEXT NOT NULL,
        name     TEXT NOT NULL,
        bucket   INTEGER NOT NULL,
        n        INTEGER NOT NULL,
        sum      REAL NOT NULL,
        min      REAL NOT NULL,
        max      REAL NOT NULL,
        PRIMARY KEY (res, agent_id, name, bucket)
    ) WITHOUT ROWID;
    CREATE TABLE jobs (
        name  TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    );
    "#,
    // 2: the BMD asset register (issue 3). Rows are never deleted: an asset missing from a
    // newer export gets `removed_at`, and every change is kept in `asset_history`.
    r#"
    CREATE TABLE assets (
        key               TEXT PRIMARY KEY,
        kode_lokasi       TEXT NOT NULL,
        kode_barang       TEXT NOT NULL,
        nomor_register    TEXT NOT NULL,
        nibar             TEXT,
        nama_barang       TEXT NOT NULL,
        merk              TEXT NOT NULL,
        tipe              TEXT NOT NULL,
        nomor_pabrik      TEXT,
        tahun_perolehan   INTEGER,
        harga_rupiah      INTEGER,
        kondisi           TEXT,
        ruangan           TEXT NOT NULL,
        pemegang          TEXT NOT NULL,
        keterangan        TEXT NOT NULL,
        -- The full normalized row (JSON), so fields without a column are not lost.
        row               TEXT NOT NULL,
        first_imported_at TEXT NOT NULL,
        updated_at        TEXT NOT NULL,
        removed_at        TEXT
    );
    CREATE INDEX assets_by_lokasi ON assets(kode_lokasi);
    CREATE INDEX assets_by_nomor_pabrik ON assets(nomor_pabrik);
    CREATE TABLE asset_history (
        id     INTEGER PRIMARY KEY AUTOINCREMENT,
        key    TEXT NOT NULL,
        at     TEXT NOT NULL,
        change TEXT NOT NULL CHECK (change IN ('added', 'changed', 'removed', 'restored')),
        before TEXT,
        after  TEXT,
        source TEXT NOT NULL
    );
    CREATE INDEX asset_history_by_key ON asset_history(key, id);
    "#,
    // 3: reconciliation (issue 3): what each host's newest inventory says, the latest
    // reconciliation result, operators' decisions, and flags with their lifecycle.
    r#"
    -- JSON kept at ingest so reconciliation never re-reads whole inventories:
    -- facts (identifiers), hardware (HardwareSummary), hardware_change (HardwareChange),
    -- health ({health, battery}).
    ALTER TABLE hosts ADD COLUMN facts TEXT;
    ALTER TABLE hosts ADD COLUMN hardware TEXT;
    ALTER TABLE hosts ADD COLUMN hardware_change TEXT;
    ALTER TABLE hosts ADD COLUMN health TEXT;
    -- Replaced whole by every reconciliation run.
    CREATE TABLE reconcile_hosts (
        agent_id  TEXT PRIMARY KEY,
        opd       TEXT NOT NULL,
        state     TEXT NOT NULL CHECK (state IN ('matched', 'review', 'unregistered')),
        asset_key TEXT,
        rule      TEXT,
        manual    INTEGER NOT NULL DEFAULT 0,
        -- MatchEvidence for a match, the candidates and reason for a review.
        detail    TEXT
    ) WITHOUT ROWID;
    CREATE TABLE reconcile_assets (
        key           TEXT PRIMARY KEY,
        kode_lokasi   TEXT NOT NULL,
        agent_id      TEXT,
        in_review     INTEGER NOT NULL,
        expects_agent INTEGER NOT NULL,
        silent        INTEGER NOT NULL,
        suggested     TEXT,
        -- Suggestion evidence (JSON list).
        evidence      TEXT
    ) WITHOUT ROWID;
    CREATE TABLE reconcile_runs (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        at          TEXT NOT NULL,
        duration_ms INTEGER NOT NULL,
        hosts       INTEGER NOT NULL,
        assets      INTEGER NOT NULL,
        findings    INTEGER NOT NULL,
        opened      INTEGER NOT NULL,
        reopened    INTEGER NOT NULL,
        resolved    INTEGER NOT NULL
    );
    -- Operators' link / confirm / unlink decisions: append-only, so it is also the audit
    -- trail. The latest row per (agent_id, asset_key) is in force. Keys are stable across
    -- register re-imports, so decisions survive them.
    CREATE TABLE decisions (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        agent_id  TEXT NOT NULL,
        asset_key TEXT NOT NULL,
        kind      TEXT NOT NULL CHECK (kind IN ('link', 'confirm', 'unlink')),
        by        TEXT NOT NULL,
        at        TEXT NOT NULL,
        note      TEXT,
        -- The host's identifiers when linked or confirmed (LearnedIds), so the asset is
        -- found again after a reinstall gives the machine a new agent id.
        learned   TEXT
    );
    CREATE INDEX decisions_by_pair ON decisions(agent_id, asset_key, id);
    -- One row per (kind, subject), ever: a problem that returns reopens its flag.
    CREATE TABLE flags (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        kind          TEXT NOT NULL,
        subject_kind  TEXT NOT NULL,
        subject       TEXT NOT NULL,
        opd           TEXT NOT NULL,
        state         TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
        summary       TEXT NOT NULL,
        evidence      TEXT NOT NULL,
        article       TEXT NOT NULL,
        fingerprint   TEXT NOT NULL,
        opened_at     TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        -- Last reconciliation that still found the problem.
        last_found_at TEXT NOT NULL,
        ack_by        TEXT,
        ack_at        TEXT,
        ack_note      TEXT,
        resolved_by   TEXT,
        resolved_at   TEXT,
        resolved_note TEXT,
        -- Fingerprint when an operator resolved it: the same problem does not reopen it.
        resolved_fingerprint TEXT,
        reopen_count  INTEGER NOT NULL DEFAULT 0,
        UNIQUE (kind, subject)
    );
    CREATE INDEX flags_by_state ON flags(state, opd, kind);
    CREATE TABLE flag_events (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        flag_id INTEGER NOT NULL REFERENCES flags(id),
        at      TEXT NOT NULL,
        event   TEXT NOT NULL CHECK (event IN ('opened', 'acknowledged', 'resolved', 'reopened')),
        by      TEXT NOT NULL,
        note    TEXT
    );
    CREATE INDEX flag_events_by_flag ON flag_events(flag_id, id);
    "#,
    // 4: network health, discovery and the IP plan (issue 4). Net results are also points
    // (store/points.rs), so rollups and the metrics API cover them unchanged.
    r#"
    -- The newest NetReport (JSON) and its round start, for the current state views.
    ALTER TABLE hosts ADD COLUMN net TEXT;
    ALTER TABLE hosts ADD COLUMN net_ts TEXT;
    -- [NicAddress] of the newest inventory's up NICs, for the IP plan and conflicts.
    ALTER TABLE hosts ADD COLUMN addresses TEXT;
    -- One row per (OPD LAN, MAC, IP) scouts saw; a device that moves IP gets a new row.
    CREATE TABLE lan_devices (
        opd        TEXT NOT NULL,
        mac        TEXT NOT NULL,
        ip         TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen  TEXT NOT NULL,
        -- JSON list of the scouts' agent ids.
        seen_by    TEXT NOT NULL,
        vendor     TEXT,
        PRIMARY KEY (opd, mac, ip)
    ) WITHOUT ROWID;
    CREATE INDEX lan_devices_by_seen ON lan_devices(last_seen);
    -- Replaced whole by `ipplan import` and `PUT /api/v1/ipplan`.
    CREATE TABLE ip_plan (
        opd  TEXT NOT NULL,
        cidr TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (opd, cidr)
    ) WITHOUT ROWID;
    -- Hysteresis of network_degraded: OPDs degraded now, since the episode's first round.
    CREATE TABLE network_state (
        opd            TEXT PRIMARY KEY,
        degraded_since TEXT NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 5: pushed agent configuration (issue 4): layers, and what each agent was last sent.
    r#"
    -- scope global (key ''), opd (key = kode lokasi) or agent (key = agent id); layer is a
    -- partial PushedConfig (JSON).
    CREATE TABLE agent_config (
        scope      TEXT NOT NULL CHECK (scope IN ('global', 'opd', 'agent')),
        key        TEXT NOT NULL,
        layer      TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        PRIMARY KEY (scope, key)
    ) WITHOUT ROWID;
    -- The merged config last published per agent (version 0 in body), so a change of
    -- layers republishes only the agents whose merged config changed.
    CREATE TABLE agent_config_published (
        agent_id     TEXT PRIMARY KEY,
        version      INTEGER NOT NULL,
        body         TEXT NOT NULL,
        published_at TEXT NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 6: accounts, sessions, API tokens and the audit log (issue 7). Secrets are stored
    // only as hashes: argon2id for passwords, SHA-256 for random session ids and tokens.
    r#"
    CREATE TABLE users (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        name          TEXT NOT NULL UNIQUE,
        role          TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'auditor')),
        password_hash TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        disabled_at   TEXT,
        -- Consecutive failed logins, and the lockout they caused.
        failed_logins INTEGER NOT NULL DEFAULT 0,
        locked_until  TEXT,
        last_login_at TEXT
    );
    -- The OPDs (kode lokasi) an operator may see and act on.
    CREATE TABLE user_opds (
        user_id INTEGER NOT NULL REFERENCES users(id),
        opd     TEXT NOT NULL,
        PRIMARY KEY (user_id, opd)
    ) WITHOUT ROWID;
    CREATE TABLE api_tokens (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id      INTEGER NOT NULL REFERENCES users(id),
        label        TEXT NOT NULL,
        token_hash   TEXT NOT NULL UNIQUE,
        created_at   TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at   TEXT
    );
    CREATE TABLE sessions (
        id_hash    TEXT PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users(id),
        csrf       TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE audit_log (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        at      TEXT NOT NULL,
        actor   TEXT NOT NULL,
        action  TEXT NOT NULL,
        target  TEXT NOT NULL,
        outcome TEXT NOT NULL,
        ip      TEXT,
        detail  TEXT
    );
    CREATE INDEX audit_by_at ON audit_log(at);
    -- Append-only: the database itself refuses to rewrite history.
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    "#,
    // 7: SNMP polling (issue 5): the latest state of every polled device and interface.
    r#"
    -- One row per (poller, target): the newest report wins. `device` is the SnmpDevice
    -- without its interfaces (JSON); asset_key/match_rule are set by the SNMP job.
    CREATE TABLE snmp_devices (
        id             INTEGER PRIMARY KEY,
        agent_id       TEXT NOT NULL,
        opd            TEXT NOT NULL,
        target         TEXT NOT NULL,
        address        TEXT NOT NULL,
        ts             TEXT NOT NULL,
        reachable      INTEGER NOT NULL,
        last_reachable TEXT,
        device         TEXT NOT NULL,
        asset_key      TEXT,
        match_rule     TEXT,
        UNIQUE (agent_id, target)
    );
    CREATE INDEX snmp_devices_by_opd ON snmp_devices(opd);
    CREATE TABLE snmp_interfaces (
        device_id INTEGER NOT NULL REFERENCES snmp_devices(id) ON DELETE CASCADE,
        if_index  INTEGER NOT NULL,
        data      TEXT NOT NULL,
        PRIMARY KEY (device_id, if_index)
    ) WITHOUT ROWID;
    "#,
    // SNMP equipment mapping (issue 5): register asset → address, credentials profile,
    // poller and uplinks, since the register has no IP column; and the value an SNMP device
    // was matched on (serial, MAC or IP), shown beside the rule.
    r#"
    CREATE TABLE snmp_equipment (
        asset_key  TEXT PRIMARY KEY,
        ip         TEXT NOT NULL,
        port       INTEGER,
        profile    TEXT NOT NULL,
        agent_id   TEXT NOT NULL,
        uplinks    TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL
    );
    CREATE INDEX snmp_equipment_by_agent ON snmp_equipment(agent_id);
    ALTER TABLE snmp_devices ADD COLUMN match_value TEXT;
    "#,
    // Usage facts and the policy (issue 6).
    r#"
    -- The newest usage facts of each agent (JSON lists). `software` is the last list any
    -- report carried: a report with `software: None` keeps it.
    CREATE TABLE usage_latest (
        agent_id        TEXT PRIMARY KEY REFERENCES agents(agent_id),
        collected_at    TEXT NOT NULL,
        cpus            INTEGER NOT NULL,
        processes       TEXT NOT NULL,
        listeners       TEXT NOT NULL,
        sessions        TEXT NOT NULL,
        errors          TEXT NOT NULL,
        software        TEXT,
        software_digest TEXT,
        software_at     TEXT
    ) WITHOUT ROWID;
    -- CPU of each report's window, for "sustained": the machine's CPU seconds and the busy
    -- processes (JSON). Pruned at ingest beyond usage::KEEP_S.
    CREATE TABLE usage_cpu (
        agent_id TEXT NOT NULL,
        since    INTEGER NOT NULL,
        until    INTEGER NOT NULL,
        cpus     INTEGER NOT NULL,
        cpu_s    REAL NOT NULL,
        procs    TEXT NOT NULL,
        PRIMARY KEY (agent_id, until, since)
    ) WITHOUT ROWID;
    -- Every policy ever applied; the highest version is in force.
    CREATE TABLE policy_versions (
        version    INTEGER PRIMARY KEY AUTOINCREMENT,
        sha256     TEXT NOT NULL,
        text       TEXT NOT NULL,
        applied_by TEXT NOT NULL,
        applied_at TEXT NOT NULL,
        note       TEXT
    );
    "#,
    // Periodic reports (issue 8): every generated file in the archive folder.
    r#"
    CREATE TABLE reports (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        period       TEXT NOT NULL,
        -- Kode lokasi, or '*' for a city-wide report.
        opd          TEXT NOT NULL,
        lang         TEXT NOT NULL,
        format       TEXT NOT NULL,
        path         TEXT NOT NULL,
        bytes        INTEGER NOT NULL,
        sha256       TEXT NOT NULL,
        generated_at TEXT NOT NULL,
        generated_by TEXT NOT NULL,
        UNIQUE (period, opd, lang, format)
    );
    "#,
    // Token enrollment, agent certificates and revocation (issue 10). Tokens are stored only
    // as SHA-256; `uses` is counted in the transaction that records the agent.
    r#"
    CREATE TABLE enroll_tokens (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        hash         TEXT NOT NULL UNIQUE,
        opd          TEXT NOT NULL,
        uses_allowed INTEGER NOT NULL CHECK (uses_allowed >= 1),
        uses         INTEGER NOT NULL DEFAULT 0,
        created_at   TEXT NOT NULL,
        created_by   TEXT NOT NULL,
        expires_at   TEXT NOT NULL,
        revoked_at   TEXT,
        CHECK (uses <= uses_allowed)
    );
    ALTER TABLE agents ADD COLUMN revoke_reason TEXT;
    ALTER TABLE agents ADD COLUMN token_id INTEGER REFERENCES enroll_tokens(id);
    -- Every client certificate issued to an agent: the serials the CRL lists on revocation.
    CREATE TABLE agent_certs (
        serial    TEXT PRIMARY KEY,
        agent_id  TEXT NOT NULL REFERENCES agents(agent_id),
        issued_at TEXT NOT NULL,
        not_after TEXT NOT NULL
    );
    CREATE INDEX agent_certs_agent ON agent_certs (agent_id);
    "#,
];

pub fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    let current: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > MIGRATIONS.len() {
        anyhow::bail!(
            "the database is at schema version {current}, newer than this collector knows ({}); \
             upgrade pantau-collector",
            MIGRATIONS.len()
        );
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "database schema migrated");
    }
    Ok(())
}

/// The schema version this build creates: the number of migrations.
pub fn version() -> usize {
    MIGRATIONS.len()
}
