//! Secrets: argon2id password hashes (PHC strings), random tokens, and their SHA-256.
//!
//! Session ids and API tokens are 256 random bits, so a plain SHA-256 is enough to keep a
//! stolen database from being usable as credentials; passwords are chosen by people and get
//! argon2id.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// Prefix of API tokens, so one found in a log or a script is recognisable.
pub const TOKEN_PREFIX: &str = "pantau_";

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 10;

/// argon2id with the crate's defaults (OWASP's minimum: 19 MiB, 2 passes, 1 lane).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))
}

/// Verify on a blocking thread: argon2id is deliberately slow.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A valid hash of a password nobody has, to spend the same time on unknown users.
pub fn dummy_hash() -> String {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY
        .get_or_init(|| hash_password(&random_token()).expect("hash a random password"))
        .clone()
}

/// 256 random bits, base64url without padding.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A new API token as shown to its owner once.
pub fn new_api_token() -> String {
    format!("{TOKEN_PREFIX}{}", random_token())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time equality, for CSRF tokens.
pub fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Refuse passwords too short to resist guessing; the message names the rule.
pub fn check_new_password(password: &str) -> anyhow::Result<()> {
    if password.chars().count() < MIN_PASSWORD {
        anyhow::bail!("password: at least {MIN_PASSWORD} characters");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery".into(), h.clone()).await);
        assert!(!verify_password("correct horse batterY".into(), h.clone()).await);
        assert!(!verify_password("x".into(), "not a hash".into()).await);
    }

    #[test]
    fn tokens_are_random_and_prefixed() {
        let (a, b) = (new_api_token(), new_api_token());
        assert_ne!(a, b);
        assert!(
            a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 43,
            "{a}"
        );
        assert_eq!(sha256_hex(b"abc").len(), 64);
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
