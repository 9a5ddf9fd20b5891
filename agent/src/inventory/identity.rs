//! The stable `host_id`.
//!
//! The collector keys every machine by `host_id`, so it must not move when the hostname, the
//! IP address or the agent install changes, and two machines must not share one. Firmware
//! identifiers are the best source, but cheap boards ship placeholders, so each candidate is
//! checked before use.

use sha2::{Digest, Sha256};

/// The raw identifiers a host offers, best first.
#[derive(Debug, Default, Clone)]
pub struct IdentitySources {
    /// SMBIOS system UUID (`/sys/class/dmi/id/product_uuid`).
    pub smbios_uuid: Option<String>,
    /// SMBIOS system serial number (`/sys/class/dmi/id/product_serial`).
    pub system_serial: Option<String>,
    /// MACs of NICs that are physical, not on USB and carry their burned-in address.
    pub nic_macs: Vec<String>,
    /// systemd / D-Bus machine id (`/etc/machine-id`).
    pub machine_id: Option<String>,
}

/// Derive the host id: `"h-"` followed by the first 16 hex digits of
/// SHA-256(`"<tag>:<value>"`), using the first usable source in this order:
///
/// 1. `uuid:` the SMBIOS system UUID, lower case, unless it is a known placeholder
///    (all zeros, all `F`, `03000200-0400-0500-0006-000700080009`) or malformed;
/// 2. `serial:` the system serial number, unless it is a placeholder
///    (see [`is_placeholder_serial`]);
/// 3. `mac:` the lowest MAC (lower case, colon form) among `nic_macs`;
/// 4. `machine-id:` the machine id; it changes on OS reinstall, hence last.
///
/// The hostname is never used. Returns `None` when no source is usable.
pub fn host_id(src: &IdentitySources) -> Option<String> {
    let (tag, value) = choose(src)?;
    let digest = Sha256::new()
        .chain_update(tag.as_bytes())
        .chain_update(b":")
        .chain_update(value.as_bytes())
        .finalize();
    let mut out = String::with_capacity(18);
    out.push_str("h-");
    for b in &digest[..8] {
        out.push_str(&format!("{b:02x}"));
    }
    Some(out)
}

fn choose(src: &IdentitySources) -> Option<(&'static str, String)> {
    if let Some(u) = src.smbios_uuid.as_deref() {
        let u = u.trim().to_ascii_lowercase();
        if !is_placeholder_uuid(&u) {
            return Some(("uuid", u));
        }
    }
    if let Some(s) = src.system_serial.as_deref() {
        if !is_placeholder_serial(s) {
            return Some(("serial", s.trim().to_string()));
        }
    }
    let mac = src
        .nic_macs
        .iter()
        .map(|m| m.trim().to_ascii_lowercase())
        .filter(|m| !pantau_proto::identifiers::is_unusable_mac(m))
        .min();
    if let Some(m) = mac {
        return Some(("mac", m));
    }
    let id = src
        .machine_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())?;
    Some(("machine-id", id.to_ascii_lowercase()))
}

// The list of identifiers that never identify anything lives in one place, shared with the
// collector's matching: pantau_proto::identifiers.
pub use pantau_proto::identifiers::{is_placeholder_serial, is_placeholder_uuid};

#[cfg(test)]
mod tests {
    use super::*;

    fn src() -> IdentitySources {
        IdentitySources {
            smbios_uuid: Some("4C4C4544-0042-3510-8052-B4C04F4E4D32".into()),
            system_serial: Some("CZC8347HX1".into()),
            nic_macs: vec!["b4:b6:86:11:22:33".into(), "00:1a:2b:3c:4d:5e".into()],
            machine_id: Some("3d1219c7c4c5404aaa1f6d2a48adfda4".into()),
        }
    }

    #[test]
    fn format_is_stable() {
        let id = host_id(&src()).unwrap();
        assert_eq!(id.len(), 18);
        assert!(id.starts_with("h-"));
        // Pinned (independently computed with `sha256sum`): changing the derivation renames
        // every host in every fleet.
        assert_eq!(id, "h-77d52bd3b7f9cb78");
    }

    fn host_id_of(tag: &str, value: &str) -> String {
        let d = Sha256::digest(format!("{tag}:{value}").as_bytes());
        let hex: String = d[..8].iter().map(|b| format!("{b:02x}")).collect();
        format!("h-{hex}")
    }

    #[test]
    fn pinned_value() {
        let s = IdentitySources {
            machine_id: Some("abc".into()),
            ..Default::default()
        };
        // printf 'machine-id:abc' | sha256sum
        assert_eq!(host_id(&s).unwrap(), "h-f1a77c98ca5530ad");
    }

    #[test]
    fn falls_through_placeholders_in_order() {
        let mut s = src();
        s.smbios_uuid = Some("03000200-0400-0500-0006-000700080009".into());
        assert_eq!(host_id(&s).unwrap(), host_id_of("serial", "CZC8347HX1"));
        s.system_serial = Some("To be filled by O.E.M.".into());
        assert_eq!(host_id(&s).unwrap(), host_id_of("mac", "00:1a:2b:3c:4d:5e"));
        s.nic_macs.clear();
        assert_eq!(
            host_id(&s).unwrap(),
            host_id_of("machine-id", "3d1219c7c4c5404aaa1f6d2a48adfda4")
        );
        s.machine_id = None;
        assert_eq!(host_id(&s), None);
    }

    #[test]
    fn placeholders() {
        assert!(is_placeholder_uuid("00000000-0000-0000-0000-000000000000"));
        assert!(is_placeholder_uuid("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"));
        assert!(is_placeholder_uuid("not-a-uuid"));
        assert!(!is_placeholder_uuid("4c4c4544-0042-3510-8052-b4c04f4e4d32"));
        for s in [
            "Default string",
            "0",
            "  ",
            "XXXXXXXX",
            "System Serial Number",
            "None",
        ] {
            assert!(is_placeholder_serial(s), "{s}");
        }
        assert!(!is_placeholder_serial("PF0XYZ12"));
    }
}
