//! One module per page. Every page renders fully on the server and works as plain HTML forms
//! without JavaScript; once hydrated, forms submit through server functions instead.

pub mod auth;
pub mod chat;
pub mod profile;
pub mod settings;
pub mod signed_in;
