//! The one-line outcome of an action: a polite status for a success, an alert for a failure
//! (the server's own words), so screen readers announce each the way it deserves.

use crate::error::ApiError;
use leptos::prelude::*;

/// What an action ended with, as shown to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// It worked; shown in a `role=status` region.
    Success(String),
    /// It failed; shown in a `role=alert` region.
    Error(String),
}

impl Notice {
    /// A success saying `text`.
    pub fn ok(text: impl Into<String>) -> Option<Notice> {
        Some(Notice::Success(text.into()))
    }

    /// A failure showing the server's message.
    pub fn failed(e: ApiError) -> Option<Notice> {
        Some(Notice::Error(e.msg))
    }
}

/// Shows the current notice, if any, with a button that dismisses it.
#[component]
pub fn NoticeLine(
    /// The notice to show; the dismiss button sets it back to `None`.
    notice: RwSignal<Option<Notice>>,
) -> impl IntoView {
    move || {
        notice.get().map(|n| {
            let (class, role, text) = match n {
                Notice::Success(t) => ("notice notice-ok", "status", t),
                Notice::Error(t) => ("notice form-error", "alert", t),
            };
            view! {
                <div class=class>
                    <p class="notice-text" role=role>{text}</p>
                    <button type="button" class="icon" aria-label="Dismiss"
                        on:click=move |_| notice.set(None)>"×"</button>
                </div>
            }
        })
    }
}
