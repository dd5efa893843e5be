//! The one-line outcome of an action: a polite status for a success, an alert for a failure
//! (the server's own words), so screen readers announce each the way it deserves.

use crate::error::ApiError;
use leptos::{either::Either, prelude::*};

/// What an action ended with, as shown to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// It worked; shown in a `role=status` region.
    Success(NoticeText),
    /// It failed; shown in a `role=alert` region.
    Error(String),
}

impl Notice {
    /// A success saying `text`.
    pub fn ok(text: impl Into<NoticeText>) -> Option<Notice> {
        Some(Notice::Success(text.into()))
    }

    /// A failure showing the server's message.
    pub fn failed(e: ApiError) -> Option<Notice> {
        Some(Notice::Error(e.msg))
    }
}

/// A success message that may name people or groups. The names are kept apart from the
/// words so they render isolated (`<bdi>`): a right-to-left name, or one carrying bidi
/// controls, cannot reorder the sentence around it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NoticeText(Vec<Part>);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Words(String),
    Name(String),
}

impl NoticeText {
    /// An empty message, to build with [`text`](Self::text) and [`name`](Self::name).
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends our own words.
    pub fn text(mut self, words: impl Into<String>) -> Self {
        self.0.push(Part::Words(words.into()));
        self
    }

    /// Appends a user-chosen name (a nickname, a group name).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.0.push(Part::Name(name.into()));
        self
    }

    /// The message's markup: the words as text, each name in its own `<bdi>`.
    fn into_view(self) -> impl IntoView {
        self.0
            .into_iter()
            .map(|p| match p {
                Part::Words(s) => Either::Left(s),
                Part::Name(s) => Either::Right(view! { <bdi>{s}</bdi> }),
            })
            .collect_view()
    }
}

impl From<&str> for NoticeText {
    fn from(words: &str) -> Self {
        NoticeText::new().text(words)
    }
}

impl From<String> for NoticeText {
    fn from(words: String) -> Self {
        NoticeText::new().text(words)
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
                Notice::Success(t) => ("notice notice-ok", "status", Either::Left(t.into_view())),
                Notice::Error(t) => ("notice form-error", "alert", Either::Right(t)),
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

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::NoticeText;
    use leptos::prelude::*;

    #[test]
    fn names_render_isolated_in_place() {
        let text = NoticeText::new()
            .text("You joined “")
            .name("צוות")
            .text("”.");
        let html = text.into_view().to_html();
        assert!(html.contains("You joined “<bdi>צוות</bdi>”."), "{html}");
    }
}
