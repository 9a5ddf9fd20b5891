//! The MIB objects read, and how walked rows become the report's fields. Pure functions over
//! rows, so every parser is tested without a device.

use super::session::{Row, Val};
use pantau_proto::body::snmp::{
    PrinterStatus, PrinterSupply, SnmpEntity, SnmpInterface, SnmpSystem, UpsStatus,
};
use std::collections::BTreeMap;

pub const SYSTEM: [&[u64]; 6] = [
    &[1, 3, 6, 1, 2, 1, 1, 1, 0], // sysDescr
    &[1, 3, 6, 1, 2, 1, 1, 2, 0], // sysObjectID
    &[1, 3, 6, 1, 2, 1, 1, 3, 0], // sysUpTime
    &[1, 3, 6, 1, 2, 1, 1, 4, 0], // sysContact
    &[1, 3, 6, 1, 2, 1, 1, 5, 0], // sysName
    &[1, 3, 6, 1, 2, 1, 1, 6, 0], // sysLocation
];
pub const IF_TABLE: &[u64] = &[1, 3, 6, 1, 2, 1, 2, 2, 1];
pub const IF_X_TABLE: &[u64] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1];
pub const ENT_PHYSICAL: &[u64] = &[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1];
pub const PRT_SERIAL: &[u64] = &[1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 17];
pub const PRT_MARKER_LIFE: &[u64] = &[1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 4];
pub const PRT_SUPPLIES: &[u64] = &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1];
pub const UPS_OBJECTS: &[u64] = &[1, 3, 6, 1, 2, 1, 33, 1];

fn text(v: &Val) -> String {
    match v {
        Val::Str(b) => String::from_utf8_lossy(b)
            .trim_end_matches('\0')
            .trim()
            .to_string(),
        Val::Oid(o) => o.clone(),
        Val::Int(i) => i.to_string(),
        Val::Num(n) | Val::Ticks(n) => n.to_string(),
        Val::Ip(a) => std::net::Ipv4Addr::from(*a).to_string(),
        Val::Other => String::new(),
    }
}

fn num(v: &Val) -> Option<u64> {
    match v {
        Val::Num(n) | Val::Ticks(n) => Some(*n),
        Val::Int(i) => u64::try_from(*i).ok(),
        _ => None,
    }
}

fn int(v: &Val) -> Option<i64> {
    match v {
        Val::Int(i) => Some(*i),
        Val::Num(n) => i64::try_from(*n).ok(),
        _ => None,
    }
}

pub fn system(rows: &[Row]) -> SnmpSystem {
    let mut s = SnmpSystem::default();
    for (oid, v) in rows {
        match oid.get(7) {
            Some(1) => s.descr = text(v),
            Some(2) => s.object_id = text(v),
            Some(3) => s.uptime_ticks = num(v),
            Some(4) => s.contact = text(v),
            Some(5) => s.name = text(v),
            Some(6) => s.location = text(v),
            _ => {}
        }
    }
    s
}

/// Rows of a table under `entry` (the `...Entry` OID) as column -> index suffix -> value.
fn columns<'a>(rows: &'a [Row], entry: &[u64]) -> BTreeMap<u64, BTreeMap<Vec<u64>, &'a Val>> {
    let mut out: BTreeMap<u64, BTreeMap<Vec<u64>, &Val>> = BTreeMap::new();
    for (oid, v) in rows {
        if oid.len() > entry.len() + 1 && oid.starts_with(entry) {
            let col = oid[entry.len()];
            out.entry(col)
                .or_default()
                .insert(oid[entry.len() + 1..].to_vec(), v);
        }
    }
    out
}

fn mac(v: &Val) -> String {
    match v {
        Val::Str(b) if b.len() == 6 && b.iter().any(|x| *x != 0) => b
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
        _ => String::new(),
    }
}

const OPER: [&str; 7] = [
    "up",
    "down",
    "testing",
    "unknown",
    "dormant",
    "notPresent",
    "lowerLayerDown",
];

/// ifTable and ifXTable rows joined on ifIndex. `uplinks` names interfaces (ifName, ifDescr
/// or ifIndex) the config marks as uplinks.
pub fn interfaces(if_rows: &[Row], x_rows: &[Row], uplinks: &[String]) -> Vec<SnmpInterface> {
    let t = columns(if_rows, IF_TABLE);
    let x = columns(x_rows, IF_X_TABLE);
    fn get<'a>(
        m: &BTreeMap<u64, BTreeMap<Vec<u64>, &'a Val>>,
        col: u64,
        idx: &[u64],
    ) -> Option<&'a Val> {
        m.get(&col).and_then(|c| c.get(idx)).copied()
    }
    let mut indexes: Vec<Vec<u64>> = t
        .values()
        .chain(x.values())
        .flat_map(|c| c.keys().cloned())
        .collect();
    indexes.sort();
    indexes.dedup();
    indexes
        .into_iter()
        .filter(|idx| idx.len() == 1)
        .map(|idx| {
            let tv = |col| get(&t, col, &idx);
            let xv = |col| get(&x, col, &idx);
            let descr = tv(2).map(text).unwrap_or_default();
            let name = xv(1)
                .map(text)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| descr.clone());
            let alias = xv(18).map(text).unwrap_or_default();
            let hc_in = xv(6).and_then(num);
            let hc_out = xv(10).and_then(num);
            let hc = hc_in.is_some() && hc_out.is_some();
            let speed_bps = match xv(15).and_then(num) {
                Some(mbps) if mbps > 0 => Some(mbps * 1_000_000),
                _ => tv(5).and_then(num),
            };
            let index = idx[0] as u32;
            let uplink = uplinks
                .iter()
                .any(|u| u == &name || u == &descr || u.parse::<u32>().ok() == Some(index))
                || alias.to_ascii_lowercase().contains("uplink");
            SnmpInterface {
                index,
                name,
                descr,
                alias,
                if_type: tv(3).and_then(int).unwrap_or(0),
                speed_bps,
                mac: tv(6).map(mac).unwrap_or_default(),
                admin_up: tv(7).and_then(int) == Some(1),
                oper_status: tv(8)
                    .and_then(int)
                    .and_then(|s| OPER.get((s - 1) as usize))
                    .unwrap_or(&"unknown")
                    .to_string(),
                uplink,
                hc,
                in_octets: if hc { hc_in } else { tv(10).and_then(num) },
                out_octets: if hc { hc_out } else { tv(16).and_then(num) },
                in_discards: tv(13).and_then(num),
                in_errors: tv(14).and_then(num),
                out_discards: tv(19).and_then(num),
                out_errors: tv(20).and_then(num),
                ..SnmpInterface::default()
            }
        })
        .collect()
}

const ENT_CLASS: [&str; 12] = [
    "other",
    "unknown",
    "chassis",
    "backplane",
    "container",
    "powerSupply",
    "fan",
    "sensor",
    "module",
    "port",
    "stack",
    "cpu",
];

/// entPhysicalTable rows that name a model or a serial: what identifies the hardware.
pub fn entities(rows: &[Row]) -> Vec<SnmpEntity> {
    let c = columns(rows, ENT_PHYSICAL);
    let mut indexes: Vec<Vec<u64>> = c.values().flat_map(|m| m.keys().cloned()).collect();
    indexes.sort();
    indexes.dedup();
    indexes
        .into_iter()
        .filter(|i| i.len() == 1)
        .map(|idx| {
            let v = |col: u64| {
                c.get(&col)
                    .and_then(|m| m.get(&idx))
                    .map(|v| text(v))
                    .unwrap_or_default()
            };
            let class = c
                .get(&5)
                .and_then(|m| m.get(&idx))
                .and_then(|v| int(v))
                .and_then(|k| ENT_CLASS.get((k - 1) as usize))
                .unwrap_or(&"unknown")
                .to_string();
            SnmpEntity {
                index: idx[0] as u32,
                class,
                descr: v(2),
                name: v(7),
                hardware_rev: v(8),
                firmware_rev: v(9),
                software_rev: v(10),
                serial: v(11),
                mfg_name: v(12),
                model: v(13),
            }
        })
        .filter(|e| !e.serial.is_empty() || !e.model.is_empty())
        .collect()
}

fn supply_kind(t: i64) -> &'static str {
    match t {
        3 => "toner",
        4 => "wasteToner",
        5 => "ink",
        6 => "inkCartridge",
        7 => "inkRibbon",
        8 => "wasteInk",
        9 => "opc",
        10 => "developer",
        11 => "fuserOil",
        15 => "fuser",
        20 => "transferUnit",
        21 => "tonerCartridge",
        _ => "other",
    }
}

/// Printer-MIB: `None` when the device has neither a marker counter nor supplies.
pub fn printer(
    serial_rows: &[Row],
    life_rows: &[Row],
    supply_rows: &[Row],
) -> Option<PrinterStatus> {
    if life_rows.is_empty() && supply_rows.is_empty() {
        return None;
    }
    let serial = serial_rows
        .first()
        .map(|(_, v)| text(v))
        .unwrap_or_default();
    let page_count = life_rows.iter().find_map(|(_, v)| num(v));
    let c = columns(supply_rows, PRT_SUPPLIES);
    let mut indexes: Vec<Vec<u64>> = c.values().flat_map(|m| m.keys().cloned()).collect();
    indexes.sort();
    indexes.dedup();
    let supplies = indexes
        .into_iter()
        .map(|idx| {
            let val = |col: u64| c.get(&col).and_then(|m| m.get(&idx)).copied();
            let level = val(9).and_then(int).unwrap_or(-2);
            let max = val(8).and_then(int).unwrap_or(-2);
            PrinterSupply {
                index: *idx.last().unwrap_or(&0) as u32,
                description: val(6).map(text).unwrap_or_default(),
                kind: supply_kind(val(5).and_then(int).unwrap_or(1)).to_string(),
                level,
                max_capacity: max,
                level_pct: (level >= 0 && max > 0)
                    .then(|| (level as f64 * 100.0 / max as f64).clamp(0.0, 100.0)),
            }
        })
        .collect();
    Some(PrinterStatus {
        serial,
        page_count,
        supplies,
    })
}

/// upsAlarmBatteryBad (RFC 1628 upsWellKnownAlarms.1).
const ALARM_BATTERY_BAD: &str = "1.3.6.1.2.1.33.1.6.3.1";

/// UPS-MIB: `None` when the device has no upsBattery group.
pub fn ups(rows: &[Row]) -> Option<UpsStatus> {
    let at = |suffix: &[u64]| {
        rows.iter()
            .find(|(o, _)| {
                o.len() == UPS_OBJECTS.len() + suffix.len()
                    && o.ends_with(suffix)
                    && o.starts_with(UPS_OBJECTS)
            })
            .map(|(_, v)| v)
    };
    let status = at(&[2, 1, 0]).and_then(int)?;
    let source = at(&[4, 1, 0]).and_then(int).unwrap_or(0);
    const BATTERY: [&str; 4] = ["unknown", "normal", "low", "depleted"];
    const SOURCE: [&str; 7] = [
        "other", "none", "normal", "bypass", "battery", "booster", "reducer",
    ];
    let alarm_descr: Vec<String> = rows
        .iter()
        .filter(|(o, _)| o.starts_with(&[1, 3, 6, 1, 2, 1, 33, 1, 6, 2, 1, 2]))
        .map(|(_, v)| text(v))
        .collect();
    Some(UpsStatus {
        manufacturer: at(&[1, 1, 0]).map(text).unwrap_or_default(),
        model: at(&[1, 2, 0]).map(text).unwrap_or_default(),
        battery_status: BATTERY
            .get((status - 1).max(0) as usize)
            .unwrap_or(&"unknown")
            .to_string(),
        output_source: SOURCE
            .get((source - 1).max(0) as usize)
            .filter(|_| source > 0)
            .unwrap_or(&"other")
            .to_string(),
        on_battery: source == 5,
        seconds_on_battery: at(&[2, 2, 0]).and_then(num),
        minutes_remaining: at(&[2, 3, 0]).and_then(num),
        charge_pct: at(&[2, 4, 0]).and_then(num),
        battery_voltage_v: at(&[2, 5, 0]).and_then(num).map(|v| v as f64 / 10.0),
        battery_temperature_c: at(&[2, 7, 0]).and_then(int).map(|v| v as f64),
        alarms_present: at(&[6, 1, 0]).and_then(num),
        battery_bad: alarm_descr.iter().any(|d| d == ALARM_BATTERY_BAD),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(prefix: &[u64], rest: &[u64], v: Val) -> Row {
        ([prefix, rest].concat(), v)
    }

    #[test]
    fn interfaces_join_if_and_ifx_and_prefer_hc_counters() {
        let t = vec![
            r(IF_TABLE, &[2, 1], Val::Str(b"GigabitEthernet0/1".to_vec())),
            r(IF_TABLE, &[2, 2], Val::Str(b"Vlan1".to_vec())),
            r(IF_TABLE, &[3, 1], Val::Int(6)),
            r(IF_TABLE, &[5, 1], Val::Num(1_000_000_000)),
            r(
                IF_TABLE,
                &[6, 1],
                Val::Str(vec![0, 0x1b, 0x54, 0xaa, 0xbb, 0xcc]),
            ),
            r(IF_TABLE, &[7, 1], Val::Int(1)),
            r(IF_TABLE, &[8, 1], Val::Int(2)),
            r(IF_TABLE, &[8, 2], Val::Int(1)),
            r(IF_TABLE, &[10, 1], Val::Num(5)),
            r(IF_TABLE, &[10, 2], Val::Num(77)),
            r(IF_TABLE, &[14, 1], Val::Num(3)),
        ];
        let x = vec![
            r(IF_X_TABLE, &[1, 1], Val::Str(b"Gi0/1".to_vec())),
            r(IF_X_TABLE, &[6, 1], Val::Num(5_000_000_000)),
            r(IF_X_TABLE, &[10, 1], Val::Num(6_000_000_000)),
            r(IF_X_TABLE, &[15, 1], Val::Num(10_000)),
            r(IF_X_TABLE, &[18, 2], Val::Str(b"UPLINK ke core".to_vec())),
        ];
        let ifs = interfaces(&t, &x, &["Gi0/1".into()]);
        assert_eq!(ifs.len(), 2);
        let g = &ifs[0];
        assert_eq!((g.index, g.name.as_str(), g.if_type), (1, "Gi0/1", 6));
        assert_eq!(g.mac, "00:1b:54:aa:bb:cc");
        assert!(g.admin_up && g.hc && g.uplink);
        assert_eq!(g.oper_status, "down");
        assert_eq!(g.in_octets, Some(5_000_000_000), "64-bit counter wins");
        assert_eq!(g.speed_bps, Some(10_000_000_000), "ifHighSpeed wins");
        assert_eq!(g.in_errors, Some(3));
        let v = &ifs[1];
        assert_eq!(
            (v.name.as_str(), v.hc, v.in_octets),
            ("Vlan1", false, Some(77))
        );
        assert!(v.uplink, "the alias says uplink");
        assert_eq!(v.mac, "");
    }

    #[test]
    fn printer_supplies_and_ups_battery() {
        let life = vec![r(PRT_MARKER_LIFE, &[1, 1], Val::Num(48213))];
        let sup = vec![
            r(PRT_SUPPLIES, &[5, 1, 1], Val::Int(3)),
            r(PRT_SUPPLIES, &[6, 1, 1], Val::Str(b"Black Toner".to_vec())),
            r(PRT_SUPPLIES, &[8, 1, 1], Val::Int(8000)),
            r(PRT_SUPPLIES, &[9, 1, 1], Val::Int(400)),
            r(PRT_SUPPLIES, &[5, 1, 2], Val::Int(9)),
            r(PRT_SUPPLIES, &[8, 1, 2], Val::Int(-2)),
            r(PRT_SUPPLIES, &[9, 1, 2], Val::Int(-3)),
        ];
        let p = printer(&[], &life, &sup).unwrap();
        assert_eq!(p.page_count, Some(48213));
        assert_eq!(p.supplies[0].kind, "toner");
        assert_eq!(p.supplies[0].level_pct, Some(5.0));
        assert_eq!(
            p.supplies[1].level_pct, None,
            "unknown capacity: no percentage"
        );
        assert!(printer(&[], &[], &[]).is_none());

        let u = vec![
            r(UPS_OBJECTS, &[2, 1, 0], Val::Int(3)),
            r(UPS_OBJECTS, &[2, 2, 0], Val::Num(120)),
            r(UPS_OBJECTS, &[2, 3, 0], Val::Num(7)),
            r(UPS_OBJECTS, &[2, 4, 0], Val::Num(35)),
            r(UPS_OBJECTS, &[4, 1, 0], Val::Int(5)),
            r(UPS_OBJECTS, &[6, 1, 0], Val::Num(1)),
            r(
                UPS_OBJECTS,
                &[6, 2, 1, 2, 1],
                Val::Oid(ALARM_BATTERY_BAD.into()),
            ),
        ];
        let s = ups(&u).unwrap();
        assert_eq!(s.battery_status, "low");
        assert!(s.on_battery && s.battery_bad);
        assert_eq!((s.minutes_remaining, s.charge_pct), (Some(7), Some(35)));
        assert!(ups(&[]).is_none());
    }
}
