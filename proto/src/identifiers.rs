//! Hardware identifiers that identify nothing, in one documented place.
//!
//! Firmware and NICs report placeholders: boards whose serial is "To be filled by O.E.M.",
//! UUIDs of all zeros, virtual or locally administered MACs. Agents report them as they are
//! (so an operator can see what the machine says); the agent's host identity and the
//! collector's register matching both skip them using these functions, so the two always
//! agree. docs/protocol.md lists the rules.

/// True for UUIDs that many boards share: all zeros, all F, the AMI sample value, or
/// anything that is not 32 hex digits.
pub fn is_placeholder_uuid(uuid: &str) -> bool {
    let hex: String = uuid.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return true;
    }
    let hex = hex.to_ascii_lowercase();
    hex.chars().all(|c| c == '0')
        || hex.chars().all(|c| c == 'f')
        || hex == "03000200040005000006000700080009"
}

/// True for serial numbers that are not unique: OEM filler text, register clerks' filler
/// ("belum dicatat"), short strings, or one character repeated.
///
/// Each test runs on the trimmed text and on its letters and digits alone, so punctuation
/// and spacing variants ("To be filled by O.E.M" without the last dot, "0000-0000", "N / A")
/// are junk too: the collector compares serials by their letters and digits.
pub fn is_placeholder_serial(serial: &str) -> bool {
    const JUNK: &[&str] = &[
        "to be filled by o.e.m.",
        "to be filled by oem",
        "default string",
        "system serial number",
        "chassis serial number",
        "base board serial number",
        "not specified",
        "not applicable",
        "not available",
        "none",
        "n/a",
        "oem",
        "o.e.m.",
        "invalid",
        "unknown",
        "empty",
        "serial",
        "0123456789",
        "123456789",
        "1234567890",
        // What register clerks write in the nomor pabrik column when they have no serial.
        "belum dicatat",
        "belum ada",
        "tidak ada",
        "tdk ada",
        "tidak diketahui",
        "tidak tercatat",
        "kosong",
        "nihil",
        "tanpa nomor",
    ];
    // The list as a set of its entries and their letters-and-digits forms, built once: the
    // collector calls this for every identifier of every asset and host on each
    // reconciliation (hundreds of thousands of calls), so each call is two hash lookups.
    static SET: std::sync::LazyLock<std::collections::HashSet<String>> =
        std::sync::LazyLock::new(|| {
            JUNK.iter()
                .flat_map(|j| [j.to_string(), alnum(j)])
                .collect()
        });
    fn alnum(s: &str) -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    }
    fn junk(s: &str) -> bool {
        let mut chars = s.chars();
        let first = chars.next();
        s.chars().count() < 4 || chars.all(|c| Some(c) == first)
    }
    let s = serial.trim().to_ascii_lowercase();
    let a = alnum(&s);
    junk(&s) || junk(&a) || SET.contains(&s) || SET.contains(&a)
}

/// A MAC in any of the usual spellings (`AA:BB:CC:DD:EE:FF`, `AA-BB-CC-DD-EE-FF`,
/// `aabb.ccdd.eeff` as Cisco writes it, `AABBCCDDEEFF` as Ubiquiti and MikroTik print it on
/// the label) as lower case with colons; `None` unless it is exactly 12 hex digits once the
/// separators are gone. Says nothing about whether the MAC identifies a machine: that is
/// [`is_unusable_mac`].
pub fn normalize_mac(mac: &str) -> Option<String> {
    let hex: Vec<u8> = mac
        .trim()
        .bytes()
        .filter(|b| !matches!(b, b':' | b'-' | b'.' | b' '))
        .collect();
    if hex.len() != 12 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut out = String::with_capacity(17);
    for (i, pair) in hex.chunks(2).enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push(pair[0].to_ascii_lowercase() as char);
        out.push(pair[1].to_ascii_lowercase() as char);
    }
    Some(out)
}

/// Hypervisor vendors' OUIs: a MAC under one of these belongs to a virtual NIC.
const VIRTUAL_OUIS: &[&str] = &[
    "00:05:69", // VMware
    "00:0c:29", // VMware
    "00:1c:14", // VMware
    "00:50:56", // VMware
    "08:00:27", // VirtualBox
    "0a:00:27", // VirtualBox host-only
    "52:54:00", // QEMU/KVM
    "00:15:5d", // Hyper-V
    "00:16:3e", // Xen
    "00:1c:42", // Parallels
];

/// True for MACs that cannot identify a machine: malformed, all zero, broadcast or multicast,
/// locally administered (randomised Wi-Fi, Docker, bridges), or a hypervisor's virtual NIC.
pub fn is_unusable_mac(mac: &str) -> bool {
    let m = mac.trim().to_ascii_lowercase().replace('-', ":");
    let bytes: Vec<u8> = m
        .split(':')
        .filter_map(|b| {
            (b.len() == 2)
                .then(|| u8::from_str_radix(b, 16).ok())
                .flatten()
        })
        .collect();
    if bytes.len() != 6 || m.split(':').count() != 6 {
        return true;
    }
    bytes.iter().all(|b| *b == 0)
        || bytes[0] & 0x01 != 0 // multicast, broadcast included
        || bytes[0] & 0x02 != 0 // locally administered
        || VIRTUAL_OUIS.iter().any(|oui| m.starts_with(oui))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_from_real_firmware_never_identify() {
        assert!(is_placeholder_uuid("00000000-0000-0000-0000-000000000000"));
        assert!(is_placeholder_uuid("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"));
        assert!(is_placeholder_uuid("03000200-0400-0500-0006-000700080009"));
        assert!(is_placeholder_uuid("not-a-uuid"));
        assert!(!is_placeholder_uuid("4c4c4544-0042-3510-8052-b4c04f4e4d32"));
        for s in [
            "To be filled by O.E.M.",
            "Default string",
            "System Serial Number",
            "0000000",
            "  ",
            "To be filled by O.E.M",
            "0000-0000",
            "N / A",
            "belum dicatat",
            "Tidak Ada",
        ] {
            assert!(is_placeholder_serial(s), "{s}");
        }
        assert!(!is_placeholder_serial("4CE1234ABC"));
        assert!(!is_placeholder_serial("5QK8XH3"));
    }

    #[test]
    fn macs_in_every_spelling_normalize_to_one() {
        for m in [
            "E0:63:DA:1B:2C:3D",
            "e0-63-da-1b-2c-3d",
            "e063.da1b.2c3d",
            "E063DA1B2C3D",
        ] {
            assert_eq!(
                normalize_mac(m).as_deref(),
                Some("e0:63:da:1b:2c:3d"),
                "{m}"
            );
        }
        for bad in [
            "E063DA1B2C3",
            "E063DA1B2C3DX",
            "G063DA1B2C3D",
            "",
            "5QK8XH3",
        ] {
            assert_eq!(normalize_mac(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_burned_in_physical_macs_identify() {
        for bad in [
            "00:00:00:00:00:00",
            "ff:ff:ff:ff:ff:ff",
            "01:00:5e:00:00:01",
            "02:42:ac:11:00:02", // Docker, locally administered
            "52:54:00:12:34:56", // KVM
            "08:00:27:aa:bb:cc", // VirtualBox
            "00:50:56:01:02:03", // VMware
            "3c:52:82",
            "zz:52:82:01:02:03",
        ] {
            assert!(is_unusable_mac(bad), "{bad}");
        }
        assert!(!is_unusable_mac("3c:52:82:0a:1b:2c"));
        assert!(!is_unusable_mac("3C-52-82-0A-1B-2C"));
    }
}
