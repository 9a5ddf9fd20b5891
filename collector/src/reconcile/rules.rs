//! The ordered rule list and how identifiers are normalized before comparison.

use serde::{Deserialize, Serialize};

/// One way to link a host to a register asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// System serial (SMBIOS) against the register's nomor pabrik (or a learned serial).
    Serial,
    /// SMBIOS UUID against the UUID learned from an earlier operator-confirmed link.
    Uuid,
    /// A physical NIC's MAC against a nomor pabrik that is a MAC (network gear) or a learned MAC.
    Mac,
    /// The asset tag given at agent install against the NIBAR or the register number.
    AssetTag,
    /// Normalized hostname against a learned hostname, within the same OPD only. Weak: a
    /// match by hostname alone goes to the review queue.
    Hostname,
}

/// `[reconcile]` in collector.toml.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuleConfig {
    /// Rules tried in order; the first that finds any candidate decides.
    pub rules: Vec<Rule>,
    /// Kode barang prefixes of assets that should run an agent (computer units and servers);
    /// only these can be silent.
    pub expect_agent: Vec<String>,
    /// Kode barang prefix of ICT assets, counted in the reconciliation summary.
    pub ict_prefix: String,
    /// An expected asset not seen for this many days is silent.
    pub silent_after_days: u32,
}

impl Default for RuleConfig {
    fn default() -> Self {
        RuleConfig {
            rules: vec![
                Rule::Serial,
                Rule::Uuid,
                Rule::Mac,
                Rule::AssetTag,
                Rule::Hostname,
            ],
            expect_agent: vec!["1.3.2.10.01".into(), "1.3.2.10.02.04.001".into()],
            ict_prefix: "1.3.2.10".into(),
            silent_after_days: 7,
        }
    }
}

impl Rule {
    /// A strong rule's single candidate is a match; a weak one's goes to the review queue.
    /// Hostnames are typed by people and reused ("PC-KEUANGAN"), serials and MACs are not.
    pub fn is_strong(self) -> bool {
        !matches!(self, Rule::Hostname)
    }

    pub fn name(self) -> &'static str {
        match self {
            Rule::Serial => "serial",
            Rule::Uuid => "uuid",
            Rule::Mac => "mac",
            Rule::AssetTag => "asset_tag",
            Rule::Hostname => "hostname",
        }
    }
}

// Normalization. Every function returns `None` for a value that identifies nothing, so a
// junk value can never make two things equal, and every function is idempotent on what it
// returns (`norm(norm(x)) == norm(x)`): normalized values can be stored and compared again.
// What is junk is decided in one place, `pantau_proto::identifiers`, shared with the agent.

use pantau_proto::identifiers::{
    is_placeholder_serial, is_placeholder_uuid, is_unusable_mac, normalize_mac,
};

fn alnum_upper(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A serial number as upper-case letters and digits only.
///
/// Spaces, dashes, dots and slashes are dropped: registers are typed by hand from a label
/// ("5QK8 XH3", "5QK8-XH3") while SMBIOS gives the bare string, and no vendor distinguishes
/// two machines by punctuation alone. `None` for placeholders and register filler (`-`,
/// "belum dicatat", "To be filled by O.E.M.": see `is_placeholder_serial`).
pub fn norm_serial(raw: &str) -> Option<String> {
    if is_placeholder_serial(raw) {
        return None;
    }
    let s = alnum_upper(raw);
    (!is_placeholder_serial(&s)).then_some(s)
}

/// A UUID as lower-case hyphenated 8-4-4-4-12 hex. Braces and surrounding spaces (as
/// Windows tools print it) are accepted; `None` for placeholders and malformed values.
pub fn norm_uuid(raw: &str) -> Option<String> {
    let hex: String = raw
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if is_placeholder_uuid(&hex) {
        return None;
    }
    Some(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

/// A MAC as lower-case colon form (`AA-BB-..`, `aabb.ccdd.eeff` and `AABBCCDDEEFF` are
/// accepted); `None` when malformed or unusable (virtual, locally administered, multicast).
pub fn norm_mac(raw: &str) -> Option<String> {
    normalize_mac(raw).filter(|m| !is_unusable_mac(m))
}

/// An asset tag (NIBAR or register number) as upper-case letters and digits only, so
/// `1.3.2.10.01.02.001.000021`, `1.3.2.10.01.02.001/000021` and `13210010200 1000021` are
/// one tag. Register codes have fixed widths (`kode_barang` 1.1.1.2.2.2.3, `nomor_register`
/// six digits), so dropping the dots cannot make two different codes equal.
pub fn norm_tag(raw: &str) -> Option<String> {
    let s = alnum_upper(raw);
    (!s.is_empty() && !is_placeholder_serial(&s)).then_some(s)
}

/// A hostname as lower-case letters and digits of its first label: `PC-KEU-01.pemkot.local`
/// is `pckeu01`. The domain is dropped because the same machine shows up with and without it,
/// the separators because people write `PC_KEU_01` in the register. `None` for empty names
/// and `localhost`, which every unconfigured machine is.
pub fn norm_hostname(raw: &str) -> Option<String> {
    let first = raw.trim().split('.').next().unwrap_or("");
    let s: String = first
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (!s.is_empty() && s != "localhost").then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_ignore_case_and_punctuation_but_never_match_junk() {
        assert_eq!(norm_serial(" 5qk8-xh3 ").as_deref(), Some("5QK8XH3"));
        assert_eq!(norm_serial("5QK8 XH3").as_deref(), Some("5QK8XH3"));
        for junk in [
            "To be filled by O.E.M.",
            "To be filled by O.E.M",
            "-",
            "belum dicatat",
            "Default string",
            "",
            "0000-0000",
        ] {
            assert_eq!(norm_serial(junk), None, "{junk}");
        }
    }

    #[test]
    fn uuids_are_lower_case_hyphenated() {
        assert_eq!(
            norm_uuid("{4C4C4544-0042-3510-8052-B4C04F4E4D32}").as_deref(),
            Some("4c4c4544-0042-3510-8052-b4c04f4e4d32")
        );
        assert_eq!(
            norm_uuid("4c4c454400423510 8052b4c04f4e4d32"),
            None,
            "a space inside is malformed"
        );
        assert_eq!(
            norm_uuid("4C4C4544004235108052B4C04F4E4D32").as_deref(),
            Some("4c4c4544-0042-3510-8052-b4c04f4e4d32")
        );
        assert_eq!(norm_uuid("00000000-0000-0000-0000-000000000000"), None);
        assert_eq!(norm_uuid("03000200-0400-0500-0006-000700080009"), None);
    }

    #[test]
    fn macs_in_any_spelling_and_never_virtual() {
        for m in [
            "E0-63-DA-1B-2C-3D",
            "e063.da1b.2c3d",
            "E063DA1B2C3D",
            "e0:63:da:1b:2c:3d",
        ] {
            assert_eq!(norm_mac(m).as_deref(), Some("e0:63:da:1b:2c:3d"), "{m}");
        }
        assert_eq!(norm_mac("52:54:00:12:34:56"), None, "KVM");
        assert_eq!(norm_mac("02:42:ac:11:00:02"), None, "Docker");
        assert_eq!(norm_mac("DTVR7SN0017230ABC"), None, "a serial, not a MAC");
    }

    #[test]
    fn tags_and_hostnames() {
        assert_eq!(
            norm_tag("1.3.2.10.01.02.001.000021").as_deref(),
            Some(
                "1321001020010000" /* kode barang */
                    .to_string()
                    + "21"
            )
            .as_deref()
        );
        assert_eq!(
            norm_tag("1.3.2.10.01.02.001/000021"),
            norm_tag("13210010 2001000021")
        );
        assert_eq!(norm_tag(" - "), None);
        assert_eq!(
            norm_hostname("PC-KEU-01.pemkot.local").as_deref(),
            Some("pckeu01")
        );
        assert_eq!(norm_hostname("pc_keu_01").as_deref(), Some("pckeu01"));
        assert_eq!(norm_hostname("localhost.localdomain"), None);
        assert_eq!(norm_hostname(".."), None);
    }

    #[test]
    fn only_hostname_is_weak() {
        assert!(Rule::Serial.is_strong() && Rule::Uuid.is_strong() && Rule::Mac.is_strong());
        assert!(Rule::AssetTag.is_strong() && !Rule::Hostname.is_strong());
    }
}
