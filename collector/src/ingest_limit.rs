//! Per-agent message rate limit: a token bucket per agent id, so a flood from one agent
//! (broken, compromised or misconfigured) cannot starve the others of the one ingest queue.
//!
//! Checked after the signature: only the real agent's own messages spend its tokens, so a
//! forger on a broker without ACLs cannot get another agent's data dropped. Messages over
//! the limit are acknowledged and dropped (never stored), counted per agent in `/metrics`
//! as `pantau_ingest_dropped_total{agent, reason="rate_limited"}`, and logged at most once
//! a minute per agent.
//!
//! The burst is large on purpose: after an outage an agent drains its spool as fast as the
//! broker takes it, and store-and-forward must not lose that backlog. A day of a normal
//! agent's messages is about 3,000 (docs/operations.md#batas-masukan).

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

/// `[ingest]` of collector.toml.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestLimits {
    /// Sustained messages per second each agent may send; 0 turns the limit off.
    #[serde(default = "default_rate")]
    pub agent_msgs_per_s: u32,
    /// Messages an agent may send at once above the sustained rate (its bucket's size).
    #[serde(default = "default_burst")]
    pub agent_burst: u32,
}

fn default_rate() -> u32 {
    10
}
fn default_burst() -> u32 {
    5000
}

impl Default for IngestLimits {
    fn default() -> Self {
        IngestLimits {
            agent_msgs_per_s: default_rate(),
            agent_burst: default_burst(),
        }
    }
}

pub struct AgentLimiter {
    buckets: Option<DefaultKeyedRateLimiter<String>>,
    logged: HashMap<String, Instant>,
    checks: u64,
}

/// What to do with one verified message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Over the limit; `log` is true at most once a minute per agent.
    Drop {
        log: bool,
    },
}

impl AgentLimiter {
    pub fn new(limits: IngestLimits) -> AgentLimiter {
        let buckets = NonZeroU32::new(limits.agent_msgs_per_s).map(|rate| {
            let burst = NonZeroU32::new(limits.agent_burst.max(1)).expect("at least 1");
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        AgentLimiter {
            buckets,
            logged: HashMap::new(),
            checks: 0,
        }
    }

    pub fn check(&mut self, agent_id: &str) -> Verdict {
        let Some(buckets) = &self.buckets else {
            return Verdict::Pass;
        };
        self.checks += 1;
        // Forget full buckets now and then, so ids seen once do not stay forever.
        if self.checks.is_multiple_of(100_000) {
            buckets.retain_recent();
            self.logged
                .retain(|_, at| at.elapsed() < Duration::from_secs(60));
        }
        if buckets.check_key(&agent_id.to_owned()).is_ok() {
            return Verdict::Pass;
        }
        let now = Instant::now();
        let log = match self.logged.get(agent_id) {
            Some(at) if now.duration_since(*at) < Duration::from_secs(60) => false,
            _ => {
                self.logged.insert(agent_id.to_owned(), now);
                true
            }
        };
        Verdict::Drop { log }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_agent_over_its_burst_does_not_touch_another() {
        let mut l = AgentLimiter::new(IngestLimits {
            agent_msgs_per_s: 1,
            agent_burst: 5,
        });
        for _ in 0..5 {
            assert_eq!(l.check("flood"), Verdict::Pass);
        }
        assert_eq!(l.check("flood"), Verdict::Drop { log: true });
        assert_eq!(l.check("flood"), Verdict::Drop { log: false });
        assert_eq!(l.check("calm"), Verdict::Pass);
    }

    #[test]
    fn zero_rate_is_off() {
        let mut l = AgentLimiter::new(IngestLimits {
            agent_msgs_per_s: 0,
            agent_burst: 1,
        });
        for _ in 0..100 {
            assert_eq!(l.check("a"), Verdict::Pass);
        }
    }
}
