//! SeaORM entities: one module per table. Only the store uses them; the rest of the server
//! sees the domain types the store returns.

pub mod block;
pub mod contact;
pub mod conv_member;
pub mod conv_read;
pub mod conversation;
pub mod friend_request;
pub mod group;
pub mod group_member;
pub mod hidden_message;
pub mod media;
pub mod mention;
pub mod message;
pub mod message_media;
pub mod notice;
pub mod reaction;
pub mod report;
pub mod session;
pub mod user;
