//! The Pantau collector as a library: the `pantau-collector` binary is a thin CLI over it,
//! and benchmarks and integration tests reach the same modules.

pub mod auth;
pub mod backup;
pub mod broker;
pub mod broker_config;
pub mod config;
pub mod config_push;
pub mod demo;
pub mod enroll;
pub mod i18n;
pub mod ingest;
pub mod ingest_limit;
pub mod ingest_verify;
pub mod jobs;
pub mod maintain;
pub mod netwatch;
pub mod network;
pub mod network_cli;
pub mod pki;
pub mod pki_cli;
pub mod policy;
pub mod policy_cli;
pub mod reconcile;
pub mod reconcile_cli;
pub mod reconciler;
pub mod register;
pub mod report;
pub mod serve;
pub mod snmp;
pub mod snmp_cli;
pub mod snmpwatch;
pub mod store;
pub mod telemetry;
pub mod user_cli;
pub mod web;
