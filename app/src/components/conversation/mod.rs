//! The Chats tab (my conversations, newest first) and the conversation pane (header,
//! messages, composer). Both are server-rendered with their data, so the page shows history
//! before any script runs, and the composer is a plain form (`POST /send`) that works
//! without JavaScript.
//!
//! Imports only flow downward, from the top of this list to the bottom:
//!
//! - [`chats`]: the Chats tab and the address's open conversation.
//! - [`view`]: the pane, which loads the conversation, and the loaded view, which owns its
//!   state and lays out the parts below around the composer ([`crate::components::composer`]).
//! - [`header`]: back link, picture and title, and the line under the title
//!   ([`typing_line`]: who is typing, the peer's presence).
//! - [`pins`]: the pinned message bar under the header.
//! - [`messages`]: the message area, one [`rows`] entry per message, notice or status line.
//! - [`actions`]: a message's "More actions" menu and the forward dialog.
//! - [`drop`]: files dragged onto the conversation.
//! - [`live`]: the conversation's reactive state, kept current from the socket.
//! - [`message_list`]: the list's scrolling (follow the newest, older pages, "N new").
//! - [`icon`]: a conversation's round picture.

mod actions;
mod chats;
mod drop;
mod header;
mod icon;
mod live;
mod message_list;
mod messages;
mod pins;
mod report;
mod rows;
mod stranger;
mod typing_line;
mod view;

pub use chats::{use_open_conv, ChatsPanel};
pub use view::ConversationPane;
