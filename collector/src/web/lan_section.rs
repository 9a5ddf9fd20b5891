//! The LAN part of `/jaringan`: how full each OPD's planned IP ranges are, and the devices the
//! scouts found (vendor from the MAC, who saw them, rogue or known). Addresses in use are the
//! distinct IPs of discovered devices and of the agents' own hosts (Kotamobagu Pasal 26: the
//! plan is Diskominfo's; this shows where it is running out).

use super::access::Caller;
use super::AppState;
use crate::i18n::Lang;
use crate::store::FlagFilter;
use maud::{html, Markup};
use std::collections::{BTreeSet, HashSet};
use std::net::IpAddr;

/// Devices listed before "see the API": a city LAN has thousands.
const DEVICES: usize = 200;

pub async fn render(s: &AppState, c: &Caller, l: Lang) -> anyhow::Result<Markup> {
    let mut plan = s.store.ip_plan().await?;
    plan.retain(|e| c.sees(&e.opd));
    let mut devices = s.store.lan_devices(None).await?;
    devices.retain(|d| c.sees(&d.opd));
    devices.sort_by(|a, b| (&a.opd, &a.ip).cmp(&(&b.opd, &b.ip)));
    let rogue: HashSet<String> = s
        .store
        .flags(FlagFilter {
            kind: Some("rogue_device".into()),
            ..Default::default()
        })
        .await?
        .into_iter()
        .map(|f| f.subject)
        .collect();
    let mut used: BTreeSet<IpAddr> = devices.iter().filter_map(|d| d.ip.parse().ok()).collect();
    for h in s.store.hosts().await? {
        if let Some(ip) = h.ip.as_deref().and_then(|ip| ip.parse().ok()) {
            used.insert(ip);
        }
    }
    let rows: Vec<_> = plan
        .iter()
        .filter_map(|e| {
            let net = e.net()?;
            // Usable host addresses: the network and broadcast addresses of an IPv4 range
            // larger than a /31 are not assignable.
            let size: u128 = match net {
                ipnet::IpNet::V4(n) if n.prefix_len() < 31 => (1u128 << (32 - n.prefix_len())) - 2,
                ipnet::IpNet::V4(n) => 1u128 << (32 - n.prefix_len()),
                ipnet::IpNet::V6(n) => 1u128 << (128 - n.prefix_len()).min(127),
            };
            let n = used.iter().filter(|ip| net.contains(*ip)).count() as u128;
            Some((e, size, n))
        })
        .collect();
    Ok(html! {
        h2 { (l.t("Rencana IP", "IP plan")) }
        @if rows.is_empty() { p { (l.t("Belum ada rencana IP.", "No IP plan yet.")) } }
        @else { div.scroll { table #ipplan {
            tr { th { "OPD" } th { (l.t("Rentang", "Range")) } th { (l.t("Catatan", "Note")) }
                 th { (l.t("Terpakai", "In use")) } th { (l.t("Kapasitas", "Size")) } th { "%" } }
            @for (e, size, n) in &rows {
                @let pct = *n as f64 * 100.0 / (*size).max(1) as f64;
                tr data-cidr=(e.cidr) {
                    td { (e.opd) } td { (e.cidr) } td { (e.note) }
                    td.n { (n) } td.n { (size) }
                    td.n { @if pct >= 90.0 { span.bad { (format!("{pct:.0}")) } } @else { (format!("{pct:.0}")) } }
                }
            }
        } } }
        h2 { (l.t("Perangkat di LAN", "Devices on the LAN")) " (" (devices.len()) ")" }
        @if devices.is_empty() { p { (l.t("Belum ada agen pemindai yang melapor.", "No scout has reported yet.")) } }
        @else { div.scroll { table #lan {
            tr { th { "OPD" } th { "IP" } th { "MAC" } th { (l.t("Vendor", "Vendor")) }
                 th { (l.t("Terakhir terlihat", "Last seen")) } th { (l.t("Status", "State")) } }
            @for d in devices.iter().take(DEVICES) {
                tr data-mac=(d.mac) {
                    td { (d.opd) } td { (d.ip) } td { (d.mac) } td { (d.vendor.as_deref().unwrap_or("-")) }
                    td { (d.last_seen.format("%Y-%m-%d %H:%M UTC")) }
                    td { @if rogue.contains(&d.mac) { span.bad { (l.t("tak dikenal", "rogue")) } } @else { (l.t("dikenal", "known")) } }
                }
            }
        } }
        @if devices.len() > DEVICES {
            p { (devices.len() - DEVICES) " " (l.t("perangkat lagi:", "more devices:")) " " a href="/api/v1/network/devices" { "/api/v1/network/devices" } }
        } }
    })
}
