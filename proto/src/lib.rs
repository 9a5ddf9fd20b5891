//! The Pantau wire contract.
//!
//! Everything that crosses MQTT between an agent and the collector is defined here and nowhere
//! else: the topic layout ([`topic`]), the signed envelope ([`envelope`]), the message bodies
//! ([`body`]) and the per-kind size limits ([`Kind::max_bytes`]). Agents and the collector both
//! depend on this crate, so a change here is a change to the protocol; see `docs/protocol.md`.
//!
//! Compatibility rules, in short:
//! * the envelope's `v` is the schema major; a receiver rejects a major it does not know;
//! * unknown fields are ignored everywhere, so a minor addition never breaks an older reader;
//! * every body field that is not essential has a default, so an older writer is still read.

pub mod body;
pub mod canonical;
pub mod enrollment;
pub mod envelope;
pub mod identifiers;
pub mod identity;
pub mod kind;
pub mod topic;

pub use envelope::{DecodeError, Envelope, RejectReason, SCHEMA_MAJOR};
pub use identity::{AgentKey, PublicKey};
pub use kind::Kind;
