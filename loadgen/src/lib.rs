//! Parley's load generator (issue 10): drives a Parley server, or one of the peer hubs under
//! `bench/peers/`, at a fixed offered rate and measures it from outside.
//!
//! Layout:
//! - [`target`]: which system is measured, its address, and how one socket to it is opened
//!   (source addresses spread over 127.0.0.x so per-address caps are not what is measured);
//! - [`wire`]: the frames sent and read: Parley's own [`app::protocol::frame::Frame`], the
//!   peers' flat message, and the stamp a message's `content` carries;
//! - [`setup`]: users, friendships and groups made through Parley's REST API and reused
//!   across runs through a state file; group membership on the peer hubs;
//! - [`traffic`]: live connections, the schedule senders follow and the per-message record
//!   readers fill in (latency is always taken from the *scheduled* send time, so a stalled
//!   server cannot hide its stall by slowing the client down: no coordinated omission);
//! - [`scenarios`]: S1, S2, S3, S5, S6, S7 and the max-rate search, each an async function
//!   returning a result struct (tests call them directly);
//! - [`report`]: tables, JSON, progress bars and the server's RSS.

pub mod report;
pub mod scenarios;
pub mod setup;
pub mod target;
pub mod traffic;
pub mod wire;

pub use scenarios::Opts;
pub use target::{System, Target};
