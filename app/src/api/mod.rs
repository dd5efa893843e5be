//! Server functions: the calls the hydrated pages make. Each one is a thin adapter from the
//! request context to the [`backend::Backend`] the server provides, so no rule lives here.

pub mod accounts;
#[cfg(feature = "ssr")]
pub mod backend;
pub mod chat;
pub mod people;
pub mod social;

pub use accounts::{current_user, login, logout, register, CurrentUser, Login, Logout, Register};
