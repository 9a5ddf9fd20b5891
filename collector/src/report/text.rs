//! Words and number formats shared by the renderers, in Bahasa Indonesia or English.

use super::data::{Action, Note, Reason};
use super::period::Period;
use crate::i18n::Lang;
use chrono::{DateTime, Utc};

/// The articles a report fulfils (docs/reports.md, ../shared/DESIGN.md).
pub const ARTICLES: [(&str, &str, &str); 3] = [
    (
        "Perwali Ternate 33/2021 Pasal 12 ayat 13",
        "OPD memantau dan mengevaluasi kondisi, kinerja dan utilisasi perangkat TIK serta \
         melaporkannya secara berkala kepada Diskominfo",
        "OPDs monitor and evaluate the condition, performance and utilization of ICT \
         equipment and report periodically to Diskominfo",
    ),
    (
        "Perwali Kotamobagu Pasal 36",
        "Pemantauan dan evaluasi infrastruktur TIK",
        "Monitoring and evaluation of ICT infrastructure",
    ),
    (
        "Perwali Kotamobagu Pasal 37",
        "Pelaporan berkala OPD kepada Diskominfo dan Diskominfo kepada Walikota; teguran bagi \
         OPD yang tidak melapor (ayat 3)",
        "Periodic reports from OPDs to Diskominfo and from Diskominfo to the Walikota; \
         reprimand of OPDs that do not report (ayat 3)",
    ),
];

/// A number with `decimals` places, with the decimal comma in Indonesian.
pub fn num(v: f64, decimals: usize, lang: Lang) -> String {
    let s = format!("{v:.decimals$}");
    match lang {
        Lang::Id => s.replace('.', ","),
        Lang::En => s,
    }
}

/// A ratio 0..1 as a percentage with one decimal.
pub fn pct(ratio: f64, lang: Lang) -> String {
    format!("{} %", num(ratio * 100.0, 1, lang))
}

pub fn opt_num(v: Option<f64>, lang: Lang) -> String {
    v.map_or_else(|| "–".to_string(), |v| num(v, 1, lang))
}

/// A time in the period's zone, `YYYY-MM-DD HH:MM WIT`.
pub fn local_time(t: DateTime<Utc>, period: Period) -> String {
    format!(
        "{} {}",
        t.with_timezone(&period.zone.offset())
            .format("%Y-%m-%d %H:%M"),
        period.zone.name()
    )
}

pub fn local_day(unix: i64, period: Period) -> String {
    DateTime::from_timestamp(unix, 0)
        .map(|t| {
            t.with_timezone(&period.zone.offset())
                .format("%Y-%m-%d")
                .to_string()
        })
        .unwrap_or_default()
}

pub fn action(a: Action, lang: Lang) -> &'static str {
    match a {
        Action::Replace => lang.t("Ganti", "Replace"),
        Action::Repair => lang.t("Perbaiki", "Repair"),
    }
}

pub fn reason(r: &Reason, lang: Lang) -> String {
    match r {
        Reason::RegisterRusakBerat => lang
            .t("register: Rusak Berat", "register: Rusak Berat")
            .into(),
        Reason::SuggestedRusakBerat => lang
            .t(
                "saran telemetri: Rusak Berat",
                "telemetry suggests: Rusak Berat",
            )
            .into(),
        Reason::BeyondLife { age, life } => match lang {
            Lang::Id => format!("umur {age} tahun melewati masa manfaat {life} tahun"),
            Lang::En => format!("{age} years old, beyond its {life}-year useful life"),
        },
        Reason::RusakRingan => lang.t("Rusak Ringan", "Rusak Ringan").into(),
    }
}

pub fn note(n: &Note, period: Period, lang: Lang) -> String {
    match n {
        Note::CurrentState => lang
            .t(
                "Kondisi register, pencocokan dan kondisi saran adalah keadaan saat laporan \
                 dibuat, bukan pada akhir periode: Pantau menyimpan hasil rekonsiliasi terakhir \
                 saja.",
                "Register condition, matching and suggested condition are as of generation, not \
                 as of the period's end: Pantau keeps the latest reconciliation only.",
            )
            .into(),
        Note::NoUsage => lang
            .t(
                "Tidak ada data utilisasi per jam untuk periode ini (belum ada agen, atau data \
                 sudah melewati masa retensi): angka utilisasi dan ketersediaan kosong.",
                "No hourly utilization data for this period (no agents yet, or past retention): \
                 utilization and availability figures are empty.",
            )
            .into(),
        Note::UsageFrom(t) => {
            let at = DateTime::from_timestamp(*t, 0)
                .map(|t| local_time(t, period))
                .unwrap_or_default();
            match lang {
                Lang::Id => format!(
                    "Data utilisasi per jam tersedia mulai {at}; angka utilisasi dan \
                     ketersediaan hanya mencakup sejak saat itu."
                ),
                Lang::En => format!(
                    "Hourly utilization data starts at {at}; utilization and availability \
                     cover only the time since."
                ),
            }
        }
    }
}

pub fn flag_kind(kind: &str, lang: Lang) -> String {
    crate::reconcile::FlagKind::parse(kind)
        .map_or_else(|| kind.to_string(), |k| k.title(lang).to_string())
}

pub fn flag_state(state: &str, lang: Lang) -> &str {
    match state {
        "open" => lang.t("terbuka", "open"),
        "acknowledged" => lang.t("diketahui", "acknowledged"),
        "resolved" => lang.t("selesai", "resolved"),
        s => s,
    }
}
