//! `snmp`: what a `poller` agent read from the network equipment it was told to poll
//! (switches, routers, access points, printers, UPS). One report per polling round, one entry
//! per target, whether it answered or not: an unreachable device is a finding too.
//!
//! Counters are sent raw (the device's own values) beside the rates the poller computed from
//! the previous round, so a reader can check a rate or compute its own over a longer span.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SnmpReport {
    pub ts: Option<DateTime<Utc>>,
    /// Seconds between rounds, as configured.
    pub interval_s: u64,
    /// Wall time of the whole round.
    pub duration_ms: u64,
    pub devices: Vec<SnmpDevice>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SnmpDevice {
    /// The target's name from the config (the asset's register key when the collector made it).
    pub target: String,
    /// `host:port` polled.
    pub address: String,
    /// `v2c` or `v3`.
    pub version: String,
    /// True when the device answered the system group.
    pub reachable: bool,
    /// Why it could not be polled: `timeout`, `auth` (wrong community, user or keys),
    /// `protocol`, `resolve`; `None` when reachable.
    pub error_kind: Option<String>,
    /// The error in words, naming the request that failed.
    pub error: Option<String>,
    /// Time spent on this device.
    pub duration_ms: u64,
    /// SNMP requests sent, retries included.
    pub requests: u32,
    pub system: SnmpSystem,
    pub interfaces: Vec<SnmpInterface>,
    /// ENTITY-MIB physical entities that carry a model or serial number (chassis, modules).
    pub entities: Vec<SnmpEntity>,
    pub printer: Option<PrinterStatus>,
    pub ups: Option<UpsStatus>,
}

/// SNMPv2-MIB system group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SnmpSystem {
    pub descr: String,
    /// Dotted, e.g. `1.3.6.1.4.1.9.1.1208`.
    pub object_id: String,
    pub name: String,
    pub location: String,
    pub contact: String,
    /// sysUpTime in hundredths of a second, as the device counts it.
    pub uptime_ticks: Option<u64>,
    /// True when sysUpTime went back since the last round: counters restarted, no rates.
    pub rebooted: bool,
}

/// IF-MIB ifTable + ifXTable, one entry per ifIndex.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SnmpInterface {
    pub index: u32,
    /// ifName, else ifDescr.
    pub name: String,
    pub descr: String,
    /// ifAlias: the operator's label.
    pub alias: String,
    /// ifType (IANAifType), e.g. 6 ethernetCsmacd, 24 softwareLoopback.
    pub if_type: i64,
    /// ifHighSpeed × 10⁶ where present, else ifSpeed.
    pub speed_bps: Option<u64>,
    /// ifPhysAddress, lower case, colon separated; empty when the interface has none.
    pub mac: String,
    pub admin_up: bool,
    /// ifOperStatus: up, down, testing, unknown, dormant, notPresent, lowerLayerDown.
    pub oper_status: String,
    /// Marked as an uplink by the target's config (or its alias says so).
    pub uplink: bool,
    /// True when the octet counters are the 64-bit ifHC* ones.
    pub hc: bool,
    pub in_octets: Option<u64>,
    pub out_octets: Option<u64>,
    pub in_errors: Option<u64>,
    pub out_errors: Option<u64>,
    pub in_discards: Option<u64>,
    pub out_discards: Option<u64>,
    /// Rates since the previous round; absent on the first round and after a reboot or a
    /// counter discontinuity.
    pub in_bps: Option<f64>,
    pub out_bps: Option<f64>,
    /// The larger of in and out over the speed.
    pub utilization_pct: Option<f64>,
    /// Errors + discards per second, in and out together.
    pub errors_per_s: Option<f64>,
    pub discards_per_s: Option<f64>,
}

/// ENTITY-MIB entPhysicalTable row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SnmpEntity {
    pub index: u32,
    /// entPhysicalClass: chassis, module, powerSupply, fan, sensor, port, stack, cpu, other.
    pub class: String,
    pub descr: String,
    pub name: String,
    pub model: String,
    pub serial: String,
    pub hardware_rev: String,
    pub firmware_rev: String,
    pub software_rev: String,
    pub mfg_name: String,
}

/// Printer-MIB (RFC 3805).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PrinterStatus {
    /// prtGeneralSerialNumber: matched against the register's nomor pabrik.
    pub serial: String,
    /// prtMarkerLifeCount of the first marker: pages (or impressions) printed in its life.
    pub page_count: Option<u64>,
    pub supplies: Vec<PrinterSupply>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PrinterSupply {
    pub index: u32,
    pub description: String,
    /// prtMarkerSuppliesType: toner, ink, drum (opc), wasteToner, fuser, other.
    pub kind: String,
    /// prtMarkerSuppliesLevel; -2 unknown, -3 "some remaining".
    pub level: i64,
    pub max_capacity: i64,
    /// level / max × 100 when both are known.
    pub level_pct: Option<f64>,
}

/// UPS-MIB (RFC 1628).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UpsStatus {
    /// upsIdentManufacturer and upsIdentModel.
    pub manufacturer: String,
    pub model: String,
    /// upsBatteryStatus: unknown, normal, low, depleted.
    pub battery_status: String,
    /// upsOutputSource: other, none, normal, bypass, battery, booster, reducer.
    pub output_source: String,
    /// True when the output comes from the battery.
    pub on_battery: bool,
    pub seconds_on_battery: Option<u64>,
    pub minutes_remaining: Option<u64>,
    pub charge_pct: Option<u64>,
    pub battery_voltage_v: Option<f64>,
    pub battery_temperature_c: Option<f64>,
    /// upsAlarmsPresent, and whether one of them is upsAlarmBatteryBad (replace the battery).
    pub alarms_present: Option<u64>,
    pub battery_bad: bool,
}
