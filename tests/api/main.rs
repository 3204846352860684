//! End-to-end tests: each test starts the real server in-process on port 0
//! with a fresh data directory and talks to it over HTTP.
//!
//! They need the example components: run `scripts/build-actions.sh` first
//! (`scripts/test.sh` does).

mod access;
mod actions;
mod admin_auth;
mod admin_contract;
mod authorize;
mod builtins;
mod cli;
mod cli_remote;
mod cluster;
mod command;
mod component_cache;
mod compression;
mod connections;
mod console;
mod consumer;
mod consumer_webhooks;
mod control_plane;
mod cors;
mod device;
mod events;
mod examples;
mod files;
mod fuzz_corpus;
mod gateway;
mod generators;
mod hardening;
mod helpers;
mod http;
mod hygiene;
mod identity_providers;
mod ip_rules;
mod javascript;
mod kv;
mod limits;
mod mcp;
mod memory;
mod metrics;
mod node;
mod oauth2;
mod openapi;
mod operations;
mod origin;
mod otlp;
mod portal;
mod project;
mod project_portal;
mod python;
mod rate_limits;
mod receiver;
mod registry;
mod request_log;
mod schemas;
mod sdk;
mod signing_keys;
mod smtp;
mod sql;
mod tls;
mod tokens;
mod traces;
mod tutorial;
mod upstream;
