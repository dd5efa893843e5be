//! Parley's integration tests, one binary: the real server on an ephemeral port (or the
//! real binary), real HTTP and WebSocket clients, and the store on SQLite and PostgreSQL.
//! One binary links once, which keeps `cargo test` fast.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

mod account_deletion;
mod accounts_http;
mod assets_http;
mod cluster;
mod crash_safety;
mod decode_bombs;
mod docs;
mod hardening;
mod loadgen_smoke;
mod media_http;
mod pages_http;
mod people_http;
mod profile_pictures;
mod rest_send;
mod social_http;
mod startup;
mod store_accounts;
mod store_actions;
mod store_batch;
mod store_media;
mod store_messages;
mod store_people;
mod store_social;
mod sync_scale;
mod v0;
mod ws_actions;
mod ws_messaging;
mod ws_sync;
