//! Enrollment tokens: `pte_` + 256 random bits (base64url), shown once, stored as SHA-256
//! like API tokens. A token belongs to one OPD, expires, and allows a counted number of uses
//! (one by default).

use crate::auth::secret;
use crate::store::enrollment::NewToken;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};

/// Prefix of every enrollment token, so one pasted in the wrong place is recognisable.
pub const PREFIX: &str = "pte_";
/// Longest validity `--expires` accepts.
const MAX_EXPIRY: Duration = Duration::days(90);

/// A fresh token (to print once) and what the store keeps of it.
pub fn create(
    opd: &str,
    uses: u32,
    expires: Duration,
    by: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<(String, NewToken)> {
    let opd = opd.trim();
    if opd.is_empty() {
        anyhow::bail!("--opd must name the OPD (kode lokasi, e.g. 82.71.03.02.01)");
    }
    if uses == 0 {
        anyhow::bail!("--uses must be at least 1");
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("random numbers: {e}"))?;
    let token = format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let new = NewToken {
        hash: hash(&token),
        opd: opd.to_owned(),
        uses_allowed: uses,
        created_by: by.to_owned(),
        created_at: now,
        expires_at: now + expires,
    };
    Ok((token, new))
}

/// What the store looks a token up by.
pub fn hash(token: &str) -> String {
    secret::sha256_hex(token.trim().as_bytes())
}

/// `--expires`: a number and a unit, `s`, `m` (minutes), `h` (hours) or `d` (days): `7d`,
/// `12h`, `30m`. At most 90 days: a token is for an installation round, not a standing
/// credential.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{s:?}: give a unit, e.g. 7d, 12h or 30m"))?;
    let (n, unit) = s.split_at(split);
    let n: i64 = n
        .parse()
        .map_err(|_| format!("{s:?}: starts with a number, e.g. 7d"))?;
    let d = match unit {
        "s" => Duration::seconds(n),
        "m" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        _ => return Err(format!("{s:?}: unit {unit:?} is not s, m, h or d")),
    };
    if n == 0 {
        return Err(format!("{s:?}: must be more than zero"));
    }
    if d > MAX_EXPIRY {
        return Err(format!("{s:?}: at most 90d"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("7d"), Ok(Duration::days(7)));
        assert_eq!(parse_duration("12h"), Ok(Duration::hours(12)));
        assert_eq!(parse_duration("30m"), Ok(Duration::minutes(30)));
        assert_eq!(parse_duration("2s"), Ok(Duration::seconds(2)));
        for bad in ["7", "d", "7w", "0d", "91d", "-1d", ""] {
            assert!(parse_duration(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn tokens_are_random_prefixed_and_stored_hashed() {
        let now = Utc::now();
        let (t1, n1) = create(" 82.71 ", 1, Duration::days(7), "admin", now).unwrap();
        let (t2, _) = create("82.71", 1, Duration::days(7), "admin", now).unwrap();
        assert!(
            t1.starts_with(PREFIX) && t1.len() == PREFIX.len() + 43,
            "{t1}"
        );
        assert_ne!(t1, t2);
        assert_eq!(n1.hash, hash(&t1));
        assert!(!n1.hash.contains(&t1[PREFIX.len()..]));
        assert_eq!(n1.opd, "82.71");
        assert_eq!(n1.expires_at, now + Duration::days(7));
        assert!(create("", 1, Duration::days(1), "a", now).is_err());
        assert!(create("x", 0, Duration::days(1), "a", now).is_err());
    }

    #[test]
    fn expiry_and_uses_decide_the_problem() {
        use crate::store::enrollment::{EnrollToken, TokenProblem};
        let now = Utc::now();
        let mut t = EnrollToken {
            id: 1,
            opd: "x".into(),
            uses_allowed: 2,
            uses: 1,
            created_at: now,
            created_by: "a".into(),
            expires_at: now + Duration::seconds(1),
            revoked_at: None,
        };
        assert_eq!(t.problem(now), None);
        assert_eq!(
            t.problem(now + Duration::seconds(1)),
            Some(TokenProblem::Expired)
        );
        t.uses = 2;
        assert_eq!(t.problem(now), Some(TokenProblem::UsedUp));
        t.revoked_at = Some(now);
        assert_eq!(t.problem(now), Some(TokenProblem::Revoked));
    }
}
