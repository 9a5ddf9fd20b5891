//! The usage policy (issue 6): what counts as unauthorized use of city ICT equipment, judged
//! centrally from the agents' `usage` facts, so a policy change needs no agent change.
//!
//! - `model`: the TOML file, value by value;
//! - this module: reading a file whole (syntax, then checks across keys), every error with
//!   its line and column, and compiling its globs once;
//! - `hours`: office hours per OPD in the city's time zone, with holidays;
//! - `eval`: the pure evaluation of every host into flag findings;
//! - `job`: the periodic job and what it reads from the store.
//!
//! A policy in force is a stored version (`policy apply`); with none, the documented default
//! shipped in the binary (`collector/policy/default.toml`) applies.

pub mod eval;
pub mod hours;
pub mod input;
pub mod job;
pub mod model;
mod sustained;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use model::{PolicyFile, PolicyKind};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// The default policy, embedded so a fresh collector judges usage from its first run.
pub const DEFAULT_POLICY: &str = include_str!("../../policy/default.toml");

/// One problem in a policy file, with its place (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// The errors of one file, each as `name:line:column: message`.
pub fn describe(name: &str, errors: &[PolicyError]) -> String {
    errors
        .iter()
        .map(|e| format!("{name}:{e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A checked, compiled policy and the text it came from.
#[derive(Debug, Clone)]
pub struct Policy {
    pub file: PolicyFile,
    pub text: String,
    /// sha256 (hex) of `text`: the identity of a version.
    pub sha256: String,
    pub(crate) matchers: Matchers,
}

/// All categories' globs per field in one set each; a pattern's index maps to its category
/// bit, so matching a name against every category is one pass (and cached per name).
#[derive(Debug, Clone)]
pub(crate) struct Matchers {
    pub processes: (GlobSet, Vec<u64>),
    pub paths: (GlobSet, Vec<u64>),
    pub software: (GlobSet, Vec<u64>),
    pub publishers: (GlobSet, Vec<u64>),
    pub sha256: std::collections::HashMap<String, u64>,
    /// Bits of the categories marked `mining`.
    pub mining: u64,
    /// Process globs of each allow rule of workstation, laptop and server.
    pub allow: [Vec<GlobSet>; 3],
}

/// At most this many categories: they are bits of a u64.
pub const MAX_CATEGORIES: usize = 64;

pub fn glob(p: &str) -> Glob {
    GlobBuilder::new(p)
        .case_insensitive(true)
        .build()
        .expect("checked while read")
}

fn set<'a>(
    cats: impl Iterator<Item = (usize, &'a [model::Pattern])>,
) -> anyhow::Result<(GlobSet, Vec<u64>)> {
    let mut b = GlobSetBuilder::new();
    let mut bits = Vec::new();
    for (i, pats) in cats {
        for p in pats {
            b.add(glob(&p.0));
            bits.push(1u64 << i);
        }
    }
    Ok((b.build()?, bits))
}

fn at(text: &str, offset: usize, message: String) -> PolicyError {
    let (line, column) = pantau_agent::config::line_col(text, offset);
    PolicyError {
        line,
        column,
        message,
    }
}

impl Policy {
    /// Read and check a whole policy; nothing is half-accepted.
    pub fn parse(text: &str) -> Result<Policy, Vec<PolicyError>> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            vec![at(text, offset, e.message().trim().to_string())]
        })?;
        let errors = check(text, &file);
        if !errors.is_empty() {
            return Err(errors);
        }
        let cats = &file.categories;
        let compile = |f: fn(&model::Category) -> &[model::Pattern]| {
            set(cats.iter().enumerate().map(|(i, c)| (i, f(c))))
        };
        let internal = |e: anyhow::Error| vec![at(text, 0, format!("{e:#}"))];
        let mut sha256 = std::collections::HashMap::new();
        for (i, c) in cats.iter().enumerate() {
            for h in &c.sha256 {
                *sha256.entry(h.0.clone()).or_insert(0) |= 1u64 << i;
            }
        }
        let matchers = Matchers {
            processes: compile(|c| &c.processes).map_err(internal)?,
            paths: compile(|c| &c.paths).map_err(internal)?,
            software: compile(|c| &c.software).map_err(internal)?,
            publishers: compile(|c| &c.publishers).map_err(internal)?,
            sha256,
            mining: cats
                .iter()
                .enumerate()
                .filter(|(_, c)| c.mining)
                .fold(0, |m, (i, _)| m | 1u64 << i),
            allow: [
                &file.asset_class.workstation,
                &file.asset_class.laptop,
                &file.asset_class.server,
            ]
            .map(|rules| {
                rules
                    .allow
                    .iter()
                    .map(|r| {
                        let mut b = GlobSetBuilder::new();
                        for g in &r.processes {
                            b.add(glob(&g.0));
                        }
                        b.build().unwrap_or_else(|_| GlobSet::empty())
                    })
                    .collect()
            }),
        };
        Ok(Policy {
            sha256: hex(&Sha256::digest(text.as_bytes())),
            text: text.to_owned(),
            file,
            matchers,
        })
    }

    /// The shipped default.
    pub fn default_policy() -> Policy {
        Policy::parse(DEFAULT_POLICY).expect("the default policy is valid (tested)")
    }

    /// The category of a bit.
    pub fn category(&self, bit: usize) -> &model::Category {
        &self.file.categories[bit]
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks across keys, each error at the key it is about.
fn check(text: &str, f: &PolicyFile) -> Vec<PolicyError> {
    let mut errors = Vec::new();
    let mut ids = HashSet::new();
    if f.categories.len() > MAX_CATEGORIES {
        errors.push(at(text, 0, format!("at most {MAX_CATEGORIES} categories")));
    }
    for c in &f.categories {
        let id = c.id.get_ref();
        let ok = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !ok {
            errors.push(at(
                text,
                c.id.span().start,
                format!("category id {id:?}: use lower-case letters, digits, _ or -"),
            ));
        }
        if !ids.insert(id.clone()) {
            errors.push(at(
                text,
                c.id.span().start,
                format!("category {id:?} is defined twice"),
            ));
        }
    }
    let oh = &f.office_hours;
    if oh.start.0 >= oh.end.get_ref().0 {
        errors.push(at(
            text,
            oh.end.span().start,
            "office_hours: end must be after start".into(),
        ));
    }
    for spanned in &f.exemptions {
        let e = spanned.get_ref();
        for c in &e.categories {
            if !ids.contains(c.get_ref()) {
                let known: Vec<&str> = f
                    .categories
                    .iter()
                    .map(|c| c.id.get_ref().as_str())
                    .collect();
                errors.push(at(
                    text,
                    c.span().start,
                    format!(
                        "unknown category {:?} (categories: {})",
                        c.get_ref(),
                        known.join(", ")
                    ),
                ));
            }
        }
        let who = e.agent.as_deref().or(e.asset.as_deref());
        let place = spanned.span().start;
        if e.agent.is_some() == e.asset.is_some() {
            errors.push(at(
                text,
                place,
                "exemption: give exactly one of agent or asset".into(),
            ));
        }
        if e.reason.trim().is_empty() || e.approved_by.trim().is_empty() {
            errors.push(at(
                text,
                place,
                format!(
                    "exemption for {:?}: reason and approved_by must not be empty",
                    who.unwrap_or("?")
                ),
            ));
        }
        if !e.ports.is_empty()
            && !e.kinds.is_empty()
            && !e.kinds.contains(&PolicyKind::UnauthorizedServer)
        {
            errors.push(at(
                text,
                place,
                "exemption: ports only apply to unauthorized_server".into(),
            ));
        }
    }
    errors
}

#[cfg(test)]
mod tests;
