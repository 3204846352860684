//! Sluice: an API platform whose actions are WebAssembly components.
//!
//! The binary `sluice` (see `main.rs`) is a thin shell over this library so
//! that the end-to-end tests can start the real server in-process on port 0
//! through [`startup::Application`].

pub mod api;
pub mod bindings;
pub mod body;
pub mod builtins;
pub mod changes;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod connections;
pub mod consumer;
pub mod contract;
pub mod cors_policy;
pub mod deploy;
pub mod documents;
pub mod edge;
pub mod egress;
pub mod engine;
pub mod error;
pub mod events;
pub mod fuzzing;
pub mod gateway;
pub mod generators;
pub mod host;
pub mod http;
pub mod identity;
pub mod lifecycle;
pub mod mcp;
pub mod media;
pub mod openapi;
pub mod outbox_writer;
pub mod path_template;
pub mod portal;
pub mod producers;
pub mod request_log;
pub mod resources;
pub mod schemas;
pub mod secrets;
pub mod serve;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod tool;
pub mod worker;
