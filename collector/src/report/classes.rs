//! Asset classes of a report, from the Permendagri 108 kode barang, and each class's useful
//! life (masa manfaat) for the "replace: beyond useful life" recommendation.
//!
//! Useful lives follow the depreciation table BPKAD uses for the Komputer group
//! (1.3.2.10: Komputer Unit and Peralatan Komputer, 4 years; Permendagri 1/2019 on
//! penyusutan BMD). Peralatan jaringan in the same group is given 4 years too. A city whose
//! own Perwali on penyusutan differs overrides a class in `[reports.useful_life]`.

use crate::i18n::Lang;
use serde::Serialize;
use std::collections::BTreeMap;

/// A class: the longest matching kode barang prefix wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Pc,
    Laptop,
    Server,
    Printer,
    Monitor,
    Network,
    OtherComputer,
    /// Outside the Komputer group (1.3.2.10): not an ICT asset for coverage.
    NonIct,
}

#[rustfmt::skip]
const PREFIXES: &[(&str, Class)] = &[
    ("1.3.2.10.01.02.001", Class::Pc),
    ("1.3.2.10.01.02.002", Class::Laptop),
    ("1.3.2.10.01.02.003", Class::Laptop),
    ("1.3.2.10.02.04.001", Class::Server),
    ("1.3.2.10.02.03.003", Class::Printer),
    ("1.3.2.10.02.03.002", Class::Monitor),
    ("1.3.2.10.02.04", Class::Network),
    ("1.3.2.10", Class::OtherComputer),
];

impl Class {
    pub const ALL: [Class; 8] = [
        Class::Pc,
        Class::Laptop,
        Class::Server,
        Class::Printer,
        Class::Monitor,
        Class::Network,
        Class::OtherComputer,
        Class::NonIct,
    ];

    pub fn of(kode_barang: &str) -> Class {
        PREFIXES
            .iter()
            .find(|(p, _)| {
                kode_barang == *p
                    || (kode_barang.starts_with(p) && kode_barang.as_bytes()[p.len()] == b'.')
            })
            .map_or(Class::NonIct, |&(_, c)| c)
    }

    pub fn id(self) -> &'static str {
        match self {
            Class::Pc => "pc",
            Class::Laptop => "laptop",
            Class::Server => "server",
            Class::Printer => "printer",
            Class::Monitor => "monitor",
            Class::Network => "network",
            Class::OtherComputer => "other_computer",
            Class::NonIct => "non_ict",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Class::Pc => lang.t("PC", "PC"),
            Class::Laptop => lang.t("Laptop/Notebook", "Laptop/Notebook"),
            Class::Server => lang.t("Server", "Server"),
            Class::Printer => lang.t("Printer", "Printer"),
            Class::Monitor => lang.t("Monitor", "Monitor"),
            Class::Network => lang.t("Perangkat jaringan", "Network device"),
            Class::OtherComputer => lang.t("Peralatan komputer lain", "Other computer equipment"),
            Class::NonIct => lang.t("Non-TIK", "Non-ICT"),
        }
    }

    /// Default useful life in years; `None` for non-ICT assets (not judged here).
    pub fn default_life(self) -> Option<u32> {
        match self {
            Class::NonIct => None,
            _ => Some(4),
        }
    }
}

/// Useful life per class, with the config's overrides (class id → years).
pub fn useful_life(class: Class, overrides: &BTreeMap<String, u32>) -> Option<u32> {
    overrides
        .get(class.id())
        .copied()
        .or_else(|| class.default_life())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins_and_levels_are_whole() {
        assert_eq!(Class::of("1.3.2.10.01.02.001"), Class::Pc);
        assert_eq!(Class::of("1.3.2.10.01.02.003"), Class::Laptop);
        assert_eq!(Class::of("1.3.2.10.02.04.024"), Class::Network);
        assert_eq!(Class::of("1.3.2.10.02.04.001"), Class::Server);
        assert_eq!(Class::of("1.3.2.10.01.01.001"), Class::OtherComputer);
        // "1.3.2.100..." is not under "1.3.2.10".
        assert_eq!(Class::of("1.3.2.100.01.01.001"), Class::NonIct);
        assert_eq!(Class::of("1.3.2.05.01.04.001"), Class::NonIct);
    }

    #[test]
    fn overrides_replace_the_default_life() {
        let o = BTreeMap::from([("server".to_string(), 5)]);
        assert_eq!(useful_life(Class::Server, &o), Some(5));
        assert_eq!(useful_life(Class::Pc, &o), Some(4));
        assert_eq!(useful_life(Class::NonIct, &o), None);
    }
}
