//! Token enrollment over HTTPS: `POST /api/v1/enroll` (docs/security.md). Not MQTT, but a
//! contract between the agent and the collector all the same, so it lives here.

use serde::{Deserialize, Serialize};

/// Path of the enrollment route on the collector.
pub const PATH: &str = "/api/v1/enroll";

/// What `pantau-agent enroll` sends. The private keys stay on the PC: only the ed25519
/// public key and a CSR (signed by the TLS key, proving the agent holds it) travel.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrollRequest {
    /// The enrollment token (`pte_...`) an admin created for the OPD.
    pub token: String,
    /// The agent's ed25519 signing key (base64 of the 32 bytes), for envelopes.
    pub public_key: String,
    /// PKCS#10 request (PEM) for the agent's TLS client key. Only its key is used: the
    /// collector sets the name (CN = agent id) and the usage (client authentication).
    pub csr: String,
    /// The PC's host name, for the audit log and the operator's recognition only.
    #[serde(default)]
    pub hostname: Option<String>,
}

/// The collector's answer on success (200).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrollResponse {
    /// The identity the collector assigned: MQTT client id, topic segment, certificate CN.
    pub agent_id: String,
    /// Kode lokasi of the OPD, from the token.
    pub opd: String,
    /// The agent's client certificate (PEM).
    pub client_cert: String,
    /// The Pantau CA certificate (PEM): trust anchor for the broker.
    pub ca: String,
    /// `mqtts://host:port` the agent connects to.
    pub broker_url: String,
}

/// The collector's answer on refusal (4xx/5xx): a sentence and a stable code the agent
/// translates (`token_unknown`, `token_expired`, `token_used`, `token_revoked`, `bad_request`,
/// `plain_http`, `rate_limited`, `not_configured`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrollError {
    pub error: String,
    pub code: String,
}
