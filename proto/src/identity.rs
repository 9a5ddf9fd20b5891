//! Agent signing keys (ed25519) and their text forms.
//!
//! Keys travel as standard base64 of the raw 32 bytes: one line, easy to paste into a config
//! file or a database column, and unambiguous.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

/// An agent's private signing key.
#[derive(Clone)]
pub struct AgentKey(SigningKey);

/// An agent's public key, as the collector records it at enrollment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl AgentKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).expect("the OS random source is available");
        AgentKey(SigningKey::from_bytes(&seed))
    }

    pub fn from_base64(text: &str) -> Result<Self, String> {
        let bytes = B64
            .decode(text.trim())
            .map_err(|e| format!("signing key is not base64: {e}"))?;
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("signing key must be 32 bytes, got {}", b.len()))?;
        Ok(AgentKey(SigningKey::from_bytes(&seed)))
    }

    pub fn to_base64(&self) -> String {
        B64.encode(self.0.to_bytes())
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    pub fn sign(&self, msg: &[u8]) -> String {
        B64.encode(self.0.sign(msg).to_bytes())
    }
}

impl std::fmt::Debug for AgentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        write!(f, "AgentKey(public {})", self.public().to_base64())
    }
}

impl PublicKey {
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let bytes = B64
            .decode(text.trim())
            .map_err(|e| format!("public key is not base64: {e}"))?;
        let raw: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("public key must be 32 bytes, got {}", b.len()))?;
        VerifyingKey::from_bytes(&raw)
            .map(PublicKey)
            .map_err(|e| format!("not an ed25519 public key: {e}"))
    }

    pub fn to_base64(&self) -> String {
        B64.encode(self.0.to_bytes())
    }

    /// Strict verification (rejects malleable and small-order signatures). `verify_strict`
    /// is the plain check plus those rejections, so one call is enough: running `verify`
    /// as well doubled the collector's cost per message for nothing.
    pub fn verify(&self, msg: &[u8], sig_b64: &str) -> bool {
        let Ok(bytes) = B64.decode(sig_b64) else {
            return false;
        };
        let Ok(sig) = Signature::from_slice(&bytes) else {
            return false;
        };
        self.0.verify_strict(msg, &sig).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_text_forms() {
        let k = AgentKey::generate();
        let k2 = AgentKey::from_base64(&k.to_base64()).unwrap();
        let p = PublicKey::from_base64(&k.public().to_base64()).unwrap();
        let sig = k2.sign(b"hello");
        assert!(p.verify(b"hello", &sig));
        assert!(!p.verify(b"hellO", &sig));
        assert!(!AgentKey::generate().public().verify(b"hello", &sig));
        assert!(!p.verify(b"hello", "not base64!"));
        assert!(AgentKey::from_base64("AAAA").is_err());
    }
}
