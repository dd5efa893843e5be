//! The message composer and everything it is made of. Imports only flow downward, from the
//! top of this list to the bottom, never back up and never in a circle:
//!
//! - [`form`]: the composer itself, the tools row above the plain message form (`POST /send`,
//!   which works without JavaScript); with the page's script it sends over the socket, keeps
//!   the draft and signals typing.
//! - [`tools`]: the tools row (emoji, attach, voice, camera, video, contact card, red packet)
//!   and the "+" menu that folds the less used ones on a narrow screen.
//! - [`recorder`]: voice notes, photos and videos captured in the browser.
//! - [`emoji_picker`], [`contact_picker`], [`red_packet`]: one dialog or popover per tool,
//!   each handing a finished message body back to the tools row.
//! - [`attachments`]: the conversation's uploads (picked, dropped, pasted or captured files),
//!   each a bubble of mine until its message is sent.
//! - [`outbox`]: the one send path every composed message takes (pending bubble, then the
//!   socket's outbox), and fresh client ids.
//! - [`draft`]: per-conversation drafts in this browser's storage.
//! - [`mentions`]: the `@` member list of a group's composer.
//!
//! The emoji panel and the recently used list are also the reaction picker's.
//!
//! The conversation view creates the [`Outbox`] and the [`Attachments`] (dropping files on
//! the whole conversation and the upload bubbles in the message list need them too) and hands
//! them to the [`Composer`].

mod attachments;
mod contact_picker;
mod draft;
mod emoji_picker;
mod form;
mod mentions;
mod outbox;
mod recorder;
mod red_packet;
mod tools;

#[cfg(feature = "hydrate")]
pub use attachments::{carries_files, dropped_files};
pub use attachments::{Attachments, UploadBubble};
pub use emoji_picker::{save_recent, Emoji, EmojiPanel};
pub use form::{ComposeHooks, ComposeMode, Composer};
pub use outbox::{new_cid, Outbox};
