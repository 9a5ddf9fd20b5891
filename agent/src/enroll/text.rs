//! What `pantau-agent enroll` says when it cannot enroll: Bahasa Indonesia by default,
//! English with `--lang en`. Each sentence says what happened and what to do.

use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Id,
    En,
}

pub enum Msg {
    BadFingerprint(String),
    BadUrl(String, String),
    Exists(PathBuf),
    Fingerprint {
        want: String,
        seen: Vec<String>,
    },
    Untrusted(String, String),
    Unreachable(String, String),
    BadAnswer(String),
    /// The collector's code and sentence.
    Refused(String, String),
}

impl Msg {
    pub fn err(self, l: Lang) -> anyhow::Error {
        anyhow::anyhow!(self.text(l))
    }

    pub fn text(&self, l: Lang) -> String {
        use Lang::*;
        match (self, l) {
            (Msg::BadFingerprint(f), Id) => format!(
                "--ca-fingerprint {f:?} bukan sidik jari SHA-256 (64 digit heksadesimal, boleh dengan titik dua); salin dari `pantau-collector pki show`"
            ),
            (Msg::BadFingerprint(f), En) => format!(
                "--ca-fingerprint {f:?} is not a SHA-256 fingerprint (64 hex digits, colons allowed); copy it from `pantau-collector pki show`"
            ),
            (Msg::BadUrl(u, e), Id) => format!("alamat kolektor {u:?} tidak sah ({e}); contoh: https://kolektor.kota.go.id:8443"),
            (Msg::BadUrl(u, e), En) => format!("collector address {u:?} is not valid ({e}); e.g. https://collector.city.go.id:8443"),
            (Msg::Exists(p), Id) => format!(
                "{} sudah ada: PC ini sudah terdaftar. Identitas lama tidak ditimpa; hapus folder itu dulu bila memang ingin mendaftar ulang (dan minta admin mencabut agen lama)",
                p.display()
            ),
            (Msg::Exists(p), En) => format!(
                "{} already exists: this PC is already enrolled. The old identity is not overwritten; remove that folder first to enroll again (and ask the admin to revoke the old agent)",
                p.display()
            ),
            (Msg::Fingerprint { want, seen }, Id) => format!(
                "sidik jari CA kolektor TIDAK COCOK: diharapkan {want}, kolektor mengirim {}. Jangan lanjutkan: bisa jadi alamatnya salah atau ada penyadapan. Periksa dengan `pantau-collector pki show` di server kolektor",
                seen.join(", ")
            ),
            (Msg::Fingerprint { want, seen }, En) => format!(
                "collector CA fingerprint MISMATCH: expected {want}, the collector sent {}. Do not continue: the address may be wrong or the connection intercepted. Check with `pantau-collector pki show` on the collector",
                seen.join(", ")
            ),
            (Msg::Untrusted(u, e), Id) => format!(
                "sertifikat kolektor di {u} tidak dipercaya ({e}). Berikan --ca-fingerprint dari `pantau-collector pki show`"
            ),
            (Msg::Untrusted(u, e), En) => format!(
                "the collector's certificate at {u} is not trusted ({e}). Give --ca-fingerprint from `pantau-collector pki show`"
            ),
            (Msg::Unreachable(u, e), Id) => format!(
                "kolektor tidak dapat dihubungi di {u} ({e}). Periksa alamat, port, jaringan dan firewall"
            ),
            (Msg::Unreachable(u, e), En) => format!(
                "the collector cannot be reached at {u} ({e}). Check the address, port, network and firewall"
            ),
            (Msg::BadAnswer(e), Id) => format!("jawaban kolektor tidak dapat dibaca: {e}"),
            (Msg::BadAnswer(e), En) => format!("the collector's answer cannot be read: {e}"),
            (Msg::Refused(code, said), l) => refused(code, said, l),
        }
    }
}

fn refused(code: &str, said: &str, l: Lang) -> String {
    use Lang::*;
    let text = match (code, l) {
        ("token_unknown", Id) => "token pendaftaran salah atau tidak dikenal; periksa salinannya (awalan pte_) atau minta token baru ke admin Diskominfo",
        ("token_unknown", En) => "wrong or unknown enrollment token; check the copy (it starts with pte_) or ask the Diskominfo admin for a new one",
        ("token_expired", Id) => "token pendaftaran sudah kedaluwarsa; minta token baru ke admin Diskominfo",
        ("token_expired", En) => "the enrollment token has expired; ask the Diskominfo admin for a new one",
        ("token_used", Id) => "token pendaftaran sudah terpakai (batas penggunaannya habis); minta token baru ke admin Diskominfo",
        ("token_used", En) => "the enrollment token has already been used (no uses left); ask the Diskominfo admin for a new one",
        ("token_revoked", Id) => "token pendaftaran sudah dicabut oleh admin; minta token baru",
        ("token_revoked", En) => "the enrollment token was revoked by the admin; ask for a new one",
        ("rate_limited", Id) => "terlalu banyak percobaan pendaftaran dari alamat ini; tunggu satu menit",
        ("rate_limited", En) => "too many enrollment attempts from this address; wait a minute",
        ("plain_http", Id) => "kolektor hanya menerima pendaftaran lewat HTTPS; gunakan alamat https://",
        ("plain_http", En) => "the collector accepts enrollment over HTTPS only; use the https:// address",
        ("not_configured", Id) => "pendaftaran belum diaktifkan di kolektor ([enroll] di collector.toml)",
        ("not_configured", En) => "enrollment is not set up on the collector ([enroll] in collector.toml)",
        (_, Id) => "kolektor menolak pendaftaran",
        (_, En) => "the collector refused the enrollment",
    };
    format!("{text} [{code}: {said}]")
}
