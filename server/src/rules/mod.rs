//! The rules, side by side: who may do what and what a change means, independent of how a
//! request arrived (REST, form post, server function, socket). Routes and the session call
//! these; these call the store and hand what others must hear to [`delivery`](crate::delivery).
//!
//! - [`accounts`]: registration, login, sessions and profiles; [`throttle`] bounds password
//!   guessing.
//! - [`social`]: friends and groups, and the words of their notices.
//! - [`people`]: friend requests that need consent, blocks, reports, who may find me.
//! - [`chat`]: the right to write, sending, history, read marks, typing; with its
//!   [`writer`](chat::writer), the send pipeline: concurrent sends stored as one batch
//!   (group commit), then delivered in seq order and acked.
//! - [`presence`]: what friends are told when someone comes and goes.
//! - [`pictures`]: an upload becomes an avatar or group icon only if it is the setter's own
//!   picture, and is then shown to every signed-in user.

pub mod accounts;
pub mod chat;
pub mod people;
pub mod pictures;
pub mod presence;
pub mod social;
pub mod throttle;
