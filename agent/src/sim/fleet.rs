//! A simulated fleet: which agent sits in which OPD, which ones misbehave and how, and the
//! BMD register the city would have for it.
//!
//! Misbehaviour comes in exact shares (a share of `p` percent of `n` agents is `round(n*p/100)`
//! agents), drawn by a fixed shuffle of the agents so the same fleet misbehaves the same way
//! on every run. Each agent has at most one misbehaviour:
//!
//! | behaviour    | what the agent does                                        | what the collector should show |
//! |--------------|------------------------------------------------------------|--------------------------------|
//! | silent       | enrolled and registered, never connects                    | no messages; a silent asset    |
//! | flapping     | up 2-6 intervals, then away 1-3 intervals, again and again  | online/offline changes, no loss |
//! | unregistered | reports normally; its PC is missing from the register       | an unregistered device         |
//! | skewed       | reports normally with its clock 5 min to 3 h off            | the offset on the host's page  |

use super::{mix, SimSource};
use crate::source::Source;
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Normal,
    Silent,
    Flapping,
    Unregistered,
    /// Clock offset in seconds (positive: ahead).
    Skewed(i64),
}

impl Behaviour {
    pub fn label(self) -> &'static str {
        match self {
            Behaviour::Normal => "normal",
            Behaviour::Silent => "silent",
            Behaviour::Flapping => "flapping",
            Behaviour::Unregistered => "unregistered",
            Behaviour::Skewed(_) => "skewed",
        }
    }
}

/// Percentages of agents per misbehaviour.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Shares {
    pub silent: f64,
    pub flapping: f64,
    pub unregistered: f64,
    pub skew: f64,
}

impl Shares {
    /// Each share within 0..=100 and together at most 100.
    pub fn check(&self) -> Result<(), String> {
        let all = [
            ("--silent", self.silent),
            ("--flapping", self.flapping),
            ("--unregistered", self.unregistered),
            ("--skew", self.skew),
        ];
        for (flag, p) in all {
            if !(0.0..=100.0).contains(&p) {
                return Err(format!("{flag} {p}: a percentage is 0 to 100"));
            }
        }
        let sum: f64 = all.iter().map(|(_, p)| p).sum();
        if sum > 100.0 {
            return Err(format!(
                "--silent, --flapping, --unregistered and --skew add up to {sum} %; an agent has one misbehaviour at most, so at most 100"
            ));
        }
        Ok(())
    }
}

/// One simulated agent.
#[derive(Debug, Clone)]
pub struct Member {
    /// 0-based index; the id is `sim-{index+1:05}`.
    pub index: usize,
    pub agent_id: String,
    /// Kode lokasi of its OPD, `82.71.NN.01.01`.
    pub opd: String,
    pub seed: u64,
    pub behaviour: Behaviour,
}

impl Member {
    pub fn source(&self) -> SimSource {
        SimSource::new(self.seed, &self.opd.replace('.', "")[4..8])
    }
}

/// The up and down times of a flapping agent, fixed by its seed.
pub struct Flaps {
    rng: u64,
    interval: std::time::Duration,
}

impl Flaps {
    pub fn new(seed: u64, interval: std::time::Duration) -> Flaps {
        Flaps {
            rng: mix(seed ^ 0xf1a9),
            interval,
        }
    }

    /// (time connected, time away): 2 to 6 intervals up, then 1 to 3 away.
    pub fn next_flap(&mut self) -> (std::time::Duration, std::time::Duration) {
        self.rng = mix(self.rng);
        let up = 2.0 + (self.rng % 4001) as f64 / 1000.0;
        let down = 1.0 + ((self.rng >> 20) % 2001) as f64 / 1000.0;
        (self.interval.mul_f64(up), self.interval.mul_f64(down))
    }
}

/// The fleet of `agents` agents over `opds` OPDs with the given misbehaviour shares.
pub fn plan(agents: usize, opds: usize, shares: &Shares) -> Vec<Member> {
    let opds = opds.max(1);
    let count = |p: f64| ((agents as f64) * p / 100.0).round() as usize;
    // A fixed shuffle: agents ordered by a hash of their index.
    let mut order: Vec<usize> = (0..agents).collect();
    order.sort_by_key(|&i| mix(i as u64 ^ 0x5eed_f1ee7));
    let mut behaviour = vec![Behaviour::Normal; agents];
    let mut next = order.into_iter();
    let mut assign = |n: usize, b: &dyn Fn(usize) -> Behaviour| {
        for i in next.by_ref().take(n) {
            behaviour[i] = b(i);
        }
    };
    assign(count(shares.silent), &|_| Behaviour::Silent);
    assign(count(shares.flapping), &|_| Behaviour::Flapping);
    assign(count(shares.unregistered), &|_| Behaviour::Unregistered);
    assign(count(shares.skew), &|i| {
        let r = mix(i as u64 ^ 0xc10c);
        let secs = 300 + (r % (3 * 3600 - 300)) as i64;
        Behaviour::Skewed(if (r >> 40).is_multiple_of(2) {
            secs
        } else {
            -secs
        })
    });
    (0..agents)
        .map(|i| Member {
            index: i,
            agent_id: format!("sim-{:05}", i + 1),
            opd: format!("82.71.{:02}.01.01", 1 + i % opds),
            seed: i as u64 + 1,
            behaviour: behaviour[i],
        })
        .collect()
}

/// The register (Pantau's CSV format, docs/register-format.md) the city would have for the
/// fleet: every PC except the unregistered ones, as it is, condition Baik.
pub fn register_csv(fleet: &[Member]) -> String {
    let mut out = String::from(
        "kode_lokasi,nama_opd,kode_barang,nama_barang,nomor_register,merk,tipe,\
         tahun_perolehan,nomor_pabrik,harga,kondisi,ruangan,pemegang,keterangan\n",
    );
    for m in fleet {
        if m.behaviour == Behaviour::Unregistered {
            continue;
        }
        let inv = m.source().inventory();
        let opd_no = &m.opd[6..8];
        // Permendagri 108/2016: 1.3.2.10.01.02.001 P.C Unit, .003 Note Book.
        let (kode, nama) = if inv.system.chassis_type.as_deref() == Some("Notebook") {
            ("1.3.2.10.01.02.003", "Note Book")
        } else {
            ("1.3.2.10.01.02.001", "P.C Unit")
        };
        let _ = writeln!(
            out,
            "{},OPD {opd_no},{kode},{nama},{:06},{},{},{},{},12450000,B,Ruang Kerja,Pegawai {},",
            m.opd,
            m.index + 1,
            csv_field(inv.system.vendor.as_deref().unwrap_or("")),
            csv_field(inv.system.model.as_deref().unwrap_or("")),
            super::year_of(m.seed),
            csv_field(inv.system.serial.as_deref().unwrap_or("")),
            m.index + 1,
        );
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misbehaviour_comes_in_the_asked_shares() {
        let shares = Shares {
            silent: 5.0,
            flapping: 10.0,
            unregistered: 7.5,
            skew: 2.0,
        };
        let fleet = plan(1000, 7, &shares);
        let count = |want: &str| fleet.iter().filter(|m| m.behaviour.label() == want).count();
        assert_eq!(count("silent"), 50);
        assert_eq!(count("flapping"), 100);
        assert_eq!(count("unregistered"), 75);
        assert_eq!(count("skewed"), 20);
        assert_eq!(count("normal"), 755);
        // Skews are between 5 min and 3 h, both ways.
        let skews: Vec<i64> = fleet
            .iter()
            .filter_map(|m| match m.behaviour {
                Behaviour::Skewed(s) => Some(s),
                _ => None,
            })
            .collect();
        assert!(skews.iter().all(|s| (300..=3 * 3600).contains(&s.abs())));
        assert!(skews.iter().any(|s| *s > 0) && skews.iter().any(|s| *s < 0));
        // Spread over the fleet, not bunched at the start, and the same on every run.
        let silent: Vec<usize> = fleet
            .iter()
            .filter(|m| m.behaviour == Behaviour::Silent)
            .map(|m| m.index)
            .collect();
        assert!(silent.iter().any(|&i| i > 500) && silent.iter().any(|&i| i < 500));
        let again = plan(1000, 7, &shares);
        assert!(fleet
            .iter()
            .zip(&again)
            .all(|(a, b)| a.behaviour == b.behaviour));
        // OPDs round robin.
        assert_eq!(fleet[0].opd, "82.71.01.01.01");
        assert_eq!(fleet[8].opd, "82.71.02.01.01");
    }

    #[test]
    fn flaps_follow_the_interval() {
        let i = std::time::Duration::from_secs(30);
        let mut f = Flaps::new(9, i);
        let all: Vec<_> = (0..200).map(|_| f.next_flap()).collect();
        assert!(all
            .iter()
            .all(|(u, d)| *u >= i * 2 && *u <= i * 6 && *d >= i && *d <= i * 3));
        assert!(all.iter().any(|(u, _)| *u > i * 5) && all.iter().any(|(u, _)| *u < i * 3));
    }

    #[test]
    fn shares_are_checked() {
        let bad = Shares {
            silent: 60.0,
            flapping: 50.0,
            ..Shares::default()
        };
        assert!(bad.check().unwrap_err().contains("110"));
        let neg = Shares {
            skew: -1.0,
            ..Shares::default()
        };
        assert!(neg.check().unwrap_err().contains("--skew"));
        assert!(Shares::default().check().is_ok());
    }

    #[test]
    fn the_register_lists_every_pc_but_the_unregistered() {
        let fleet = plan(
            40,
            4,
            &Shares {
                unregistered: 10.0,
                ..Shares::default()
            },
        );
        let csv = register_csv(&fleet);
        assert_eq!(csv.lines().count(), 1 + 36);
        for m in &fleet {
            let serial = m.source().inventory().system.serial.unwrap();
            let listed = csv.contains(&serial);
            assert_eq!(
                listed,
                m.behaviour != Behaviour::Unregistered,
                "{}",
                m.agent_id
            );
        }
    }
}
