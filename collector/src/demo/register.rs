//! The demo's asset register: built from the simulated fleet's own seeds, so reconciliation
//! has something real to do. Most simulated PCs are registered as they are; some are
//! deliberately not, so that every outcome shows up in the demo:
//!
//! | sim index % 8 | in the register                                  | outcome            |
//! |---------------|--------------------------------------------------|--------------------|
//! | 2             | absent                                           | unregistered       |
//! | 4             | under the next OPD                               | location mismatch  |
//! | 5             | with another model (tipe)                        | hardware mismatch  |
//! | others        | as it is, condition Baik                         | matched            |
//!
//! Each OPD also gets two PCs that no agent reports (silent), sharing one nomor pabrik
//! (a duplicate register entry), and a printer and a switch (not expected to run an agent).
//! The host running the demo is not registered: it shows as unregistered, as a new PC would.

use pantau_agent::sim::SimSource;
use std::fmt::Write;

/// Kode lokasi and name of the demo OPDs (those of ../shared/data/register-sample.csv).
pub const OPDS: [(&str, &str); 4] = [
    (
        "82.71.02.16.01",
        "Dinas Komunikasi Informatika dan Persandian",
    ),
    ("82.71.02.01.01", "Badan Keuangan dan Aset Daerah"),
    ("82.71.03.02.01", "Dinas Kesehatan"),
    ("82.71.04.01.01", "Dinas Pendidikan"),
];

/// The OPD of simulated agent `i` (0-based) and its seed.
pub fn sim_opd(i: usize) -> &'static str {
    OPDS[i % OPDS.len()].0
}

pub fn sim_seed(i: usize) -> u64 {
    i as u64 + 1
}

/// The `SimSource` of simulated agent `i`, as the demo runs it.
pub fn sim_source(i: usize) -> SimSource {
    let opd = sim_opd(i);
    SimSource::new(sim_seed(i), &opd.replace('.', "")[4..8])
}

/// The register for `sims` simulated agents, in Pantau's CSV format.
pub fn csv(sims: usize) -> String {
    let mut out = String::from(
        "kode_lokasi,nama_opd,kode_barang,nama_barang,nomor_register,merk,tipe,\
         tahun_perolehan,nomor_pabrik,harga,kondisi,ruangan,pemegang,keterangan\n",
    );
    let name = |kode: &str| OPDS.iter().find(|o| o.0 == kode).map(|o| o.1).unwrap_or("");
    let mut next_reg = [0u32; 4];
    let mut row = |out: &mut String,
                   opd_idx: usize,
                   kode_barang: &str,
                   what: &str,
                   merk: &str,
                   tipe: &str,
                   serial: &str,
                   kondisi: &str,
                   note: &str| {
        next_reg[opd_idx] += 1;
        let (kode, _) = OPDS[opd_idx];
        writeln!(
            out,
            "{kode},{},{kode_barang},{what},{:06},{merk},{tipe},2021,{serial},12450000,{kondisi},\
             Ruang Kerja,Pegawai,{note}",
            name(kode),
            next_reg[opd_idx]
        )
        .expect("writing to a String");
    };
    for i in 0..sims {
        let inv = pantau_agent::source::Source::inventory(&mut sim_source(i));
        let opd_idx = i % OPDS.len();
        let vendor = inv.system.vendor.clone().unwrap_or_default();
        let model = inv.system.model.clone().unwrap_or_default();
        let serial = inv.system.serial.clone().unwrap_or_default();
        match i % 8 {
            2 => {}
            4 => row(
                &mut out,
                (opd_idx + 1) % OPDS.len(),
                "1.3.2.10.01.02.001",
                "P.C Unit",
                &vendor,
                &model,
                &serial,
                "B",
                "dipindah tanpa mutasi",
            ),
            5 => row(
                &mut out,
                opd_idx,
                "1.3.2.10.01.02.001",
                "P.C Unit",
                &vendor,
                "OptiPlex 9020",
                &serial,
                "B",
                "",
            ),
            _ => row(
                &mut out,
                opd_idx,
                "1.3.2.10.01.02.001",
                "P.C Unit",
                &vendor,
                &model,
                &serial,
                "B",
                "",
            ),
        }
    }
    for opd_idx in 0..OPDS.len() {
        let dup = format!("DEMO{opd_idx}SILENT01");
        for _ in 0..2 {
            row(
                &mut out,
                opd_idx,
                "1.3.2.10.01.02.001",
                "P.C Unit",
                "Acer",
                "Veriton M4690G",
                &dup,
                "B",
                "tidak pernah melapor",
            );
        }
        row(
            &mut out,
            opd_idx,
            "1.3.2.10.02.03.003",
            "Printer",
            "Epson",
            "L3210",
            &format!("X8NQ{opd_idx}00001"),
            "B",
            "",
        );
        row(
            &mut out,
            opd_idx,
            "1.3.2.10.02.04.024",
            "Switch",
            "Cisco",
            "Catalyst 2960X-24TS-L",
            &format!("FOC2{opd_idx}45X0AB"),
            "B",
            "",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_register_parses_and_holds_each_outcome() {
        let text = csv(8);
        let parsed = crate::register::parse_bytes("register-demo.csv", text.as_bytes())
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        // 8 sims, one left out, plus 4 rows per OPD.
        assert_eq!(parsed.rows.len(), 7 + 16);
        let serial = |i: usize| {
            pantau_agent::source::Source::inventory(&mut sim_source(i))
                .system
                .serial
                .unwrap()
        };
        let row_of = |i: usize| {
            parsed
                .rows
                .iter()
                .find(|r| r.nomor_pabrik.as_deref() == Some(serial(i).as_str()))
        };
        assert!(row_of(2).is_none(), "sim 2 is the unregistered one");
        assert_ne!(row_of(4).unwrap().kode_lokasi, sim_opd(4));
        assert_eq!(row_of(5).unwrap().tipe, "OptiPlex 9020");
        assert_eq!(row_of(0).unwrap().kode_lokasi, sim_opd(0));
    }
}
