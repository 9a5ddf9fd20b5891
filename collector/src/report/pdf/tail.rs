//! Sections 6 to 9 and the appendix of the PDF's typst source (split from `markup.rs`).

use super::markup::{asset_table, heading, lit, none, para, table};
use crate::i18n::Lang;
use crate::report::data::*;
use crate::report::text;
use crate::store::RegisterLine;
use std::collections::HashMap;
use std::fmt::Write;

pub(super) fn sections(
    o: &mut String,
    d: &ReportData,
    l: Lang,
    lines: &HashMap<&str, &RegisterLine>,
) {
    let s = &d.summary;
    // 6. Flags.
    heading(
        o,
        1,
        &format!(
            "6. {}",
            l.t("Flag per jenis dan status", "Flags by kind and status")
        ),
    );
    table(
        o,
        "(1fr, auto, auto, auto)",
        &[
            l.t("Jenis", "Kind"),
            l.t("terbuka", "open"),
            l.t("diketahui", "acknowledged"),
            l.t("selesai", "resolved"),
        ],
        s.flags.by_kind.iter().map(|(k, st)| {
            let mut r = vec![text::flag_kind(k, l)];
            r.extend(
                ["open", "acknowledged", "resolved"]
                    .iter()
                    .map(|x| st.get(*x).copied().unwrap_or(0).to_string()),
            );
            r
        }),
    );
    heading(o, 2, l.t("Flag terbuka teratas", "Top open flags"));
    table(
        o,
        "(auto, auto, 1fr, auto)",
        &[
            l.t("Jenis", "Kind"),
            l.t("Subjek", "Subject"),
            l.t("Ringkasan", "Summary"),
            l.t("Pasal", "Article"),
        ],
        s.flags.top.iter().map(|f| {
            vec![
                text::flag_kind(&f.kind, l),
                f.subject.clone(),
                f.summary.clone(),
                f.article.clone(),
            ]
        }),
    );

    // 7. Changes.
    heading(
        o,
        1,
        &format!(
            "7. {}",
            l.t(
                "Perubahan sejak periode sebelumnya",
                "Changes since the previous period"
            )
        ),
    );
    let c = &s.changes;
    heading(
        o,
        2,
        &format!(
            "{} ({})",
            l.t("Aset baru di register", "New in the register"),
            c.added.len()
        ),
    );
    asset_table(o, &c.added, lines, l);
    heading(
        o,
        2,
        &format!(
            "{} ({})",
            l.t("Dihapus dari register", "Removed from the register"),
            c.removed.len()
        ),
    );
    for k in &c.removed {
        let _ = writeln!(o, "- #{}", lit(k));
    }
    heading(
        o,
        2,
        &format!(
            "{} ({})",
            l.t(
                "Melapor periode lalu, tidak periode ini",
                "Reported last period, not this one"
            ),
            c.missing.len()
        ),
    );
    asset_table(o, &c.missing, lines, l);
    heading(
        o,
        2,
        &format!("{} ({})", l.t("Pindah", "Moved"), c.moved.len()),
    );
    for (k, a, b) in &c.moved {
        let _ = writeln!(o, "- #{}", lit(&format!("{k}: {a} → {b}")));
    }
    heading(
        o,
        2,
        &format!(
            "{} ({})",
            l.t("Perubahan perangkat keras", "Hardware changes"),
            c.hardware.len()
        ),
    );
    for (k, what) in &c.hardware {
        let _ = writeln!(o, "- #{}", lit(&format!("{k}: {what}")));
    }

    // 8. Recommendations.
    heading(
        o,
        1,
        &format!("8. {}", l.t("Rekomendasi", "Recommendations")),
    );
    para(o, l.t("Ganti: Rusak Berat (register atau saran) atau umur melewati masa manfaat kelasnya (4 tahun untuk peralatan komputer). Perbaiki: Rusak Ringan.", "Replace: Rusak Berat (register or suggested) or older than the class's useful life (4 years for computer equipment). Repair: Rusak Ringan."));
    if s.recommendations.is_empty() {
        none(o, l);
    } else {
        table(
            o,
            "(auto, auto, auto, 1fr)",
            &[
                l.t("Tindakan", "Action"),
                l.t("Aset", "Asset"),
                l.t("Nama barang", "Item"),
                l.t("Alasan", "Reasons"),
            ],
            s.recommendations.iter().map(|r| {
                vec![
                    text::action(r.action, l).to_string(),
                    r.key.clone(),
                    lines
                        .get(r.key.as_str())
                        .map_or(String::new(), |x| x.nama_barang.clone()),
                    r.reasons
                        .iter()
                        .map(|x| text::reason(x, l))
                        .collect::<Vec<_>>()
                        .join("; "),
                ]
            }),
        );
    }

    // 9. Signatures.
    heading(o, 1, &format!("9. {}", l.t("Pengesahan", "Signatures")));
    let head_of = if d.opd.is_some() {
        l.t("Kepala OPD", "Head of the OPD")
    } else {
        l.t("Kepala Dinas Kominfo", "Head of Diskominfo")
    };
    let _ = writeln!(
        o,
        "#v(8mm)#grid(columns: (1fr, 1fr), gutter: 2cm, align(center)[#{}\\ #{}#v(2.5cm)#line(length: 80%)#{}], align(center)[#{}\\ #{}#v(2.5cm)#line(length: 80%)#{}])",
        lit(l.t("Dibuat oleh", "Prepared by")), lit(l.t("Pengelola TIK OPD", "OPD ICT officer")), lit(l.t("Nama / NIP", "Name / NIP")),
        lit(l.t("Mengetahui", "Acknowledged by")), lit(head_of), lit(l.t("Nama / NIP", "Name / NIP")),
    );

    // Appendix.
    o.push_str("#pagebreak()\n#set page(flipped: true)\n");
    heading(o, 1, l.t("Lampiran: daftar aset", "Appendix: every asset"));
    table(
        o,
        "(auto, auto, auto, auto, auto, auto, auto, auto, auto, auto, 1fr)",
        &[
            l.t("Kode lokasi", "Location"),
            l.t("Kode barang", "Item code"),
            l.t("No. reg", "Reg. no"),
            l.t("Nama barang", "Item"),
            l.t("Merk/tipe", "Make/type"),
            l.t("Tahun", "Year"),
            l.t("Kond. reg.", "Reg. cond."),
            l.t("Kond. saran", "Sugg. cond."),
            "Host",
            l.t("Jam aktif", "Active h"),
            l.t("Bukti", "Evidence"),
        ],
        d.appendix.iter().map(|a| {
            vec![
                a.line.kode_lokasi.clone(),
                a.line.kode_barang.clone(),
                a.line.nomor_register.clone(),
                a.line.nama_barang.clone(),
                format!("{} {}", a.line.merk, a.line.tipe),
                a.line
                    .tahun_perolehan
                    .map(|y| y.to_string())
                    .unwrap_or_default(),
                a.line.kondisi.map_or("–", |c| c.code()).to_string(),
                a.line
                    .suggested_kondisi
                    .map_or("–", |c| c.code())
                    .to_string(),
                a.line
                    .hostname
                    .clone()
                    .or(a.line.agent_id.clone())
                    .unwrap_or_else(|| "–".into()),
                a.active_hours
                    .map(|h| h.to_string())
                    .unwrap_or_else(|| "–".into()),
                a.line.suggestion_evidence.join("; "),
            ]
        }),
    );
}
