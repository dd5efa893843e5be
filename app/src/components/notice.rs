//! The one-line outcome of an action: a polite status for a success, an alert for a failure
//! (the server's own words), so screen readers announce each the way it deserves.

use crate::error::ApiError;
use crate::i18n::{td_string, use_i18n};
use leptos::{either::Either, prelude::*};

/// What an action ended with, as shown to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// It worked; shown in a `role=status` region.
    Success(NoticeText),
    /// It failed; shown in a `role=alert` region.
    Error(ApiError),
}

impl Notice {
    /// A success saying `text`.
    pub fn ok(text: impl Into<NoticeText>) -> Option<Notice> {
        Some(Notice::Success(text.into()))
    }

    /// A failure showing the server's message.
    pub fn failed(e: ApiError) -> Option<Notice> {
        Some(Notice::Error(e))
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
        // Adjacent words are one text node, as if written in one piece.
        match self.0.last_mut() {
            Some(Part::Words(w)) => w.push_str(&words.into()),
            _ => self.0.push(Part::Words(words.into())),
        }
        self
    }

    /// A translated sentence with `{placeholders}`: `{name}` and `{group}` become isolated
    /// names, any other placeholder its value as plain words.
    pub fn fill(template: &str, values: &[(&str, String)]) -> Self {
        let mut out = NoticeText::new();
        let mut rest = template;
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            let key = &rest[start + 1..start + len];
            let Some((_, value)) = values.iter().find(|(k, _)| *k == key) else {
                out = out.text(&rest[..=start]);
                rest = &rest[start + 1..];
                continue;
            };
            out = out.text(&rest[..start]);
            out = if key == "name" || key == "group" {
                out.name(value.clone())
            } else {
                out.text(value.clone())
            };
            rest = &rest[start + len + 1..];
        }
        if !rest.is_empty() {
            out = out.text(rest);
        }
        out
    }

    /// Appends a user-chosen name (a nickname, a group name).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.0.push(Part::Name(name.into()));
        self
    }

    /// The message's markup: the words as text, each name in its own `<bdi>`.
    pub(crate) fn into_view(self) -> impl IntoView {
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
    let i18n = use_i18n();
    move || {
        notice.get().map(|n| {
            let (class, role, text) = match n {
                Notice::Success(t) => ("notice notice-ok", "status", Either::Left(t.into_view())),
                Notice::Error(error) => (
                    "notice form-error",
                    "alert",
                    Either::Right(view! { <super::basics::ErrorText error/> }),
                ),
            };
            view! {
                <div class=class>
                    <p class="notice-text" role=role>{text}</p>
                    <button type="button" class="icon" aria-label=move || td_string!(i18n.get_locale(), dismiss)
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

    #[test]
    fn translated_templates_keep_names_isolated() {
        let filled = NoticeText::fill(
            "已创建“{name}”。id {id}，{unknown}",
            &[("name", "{id}".to_owned()), ("id", "7".to_owned())],
        );
        let expected = NoticeText::new()
            .text("已创建“")
            .name("{id}")
            .text("”。id 7，{unknown}");
        assert_eq!(filled, expected);
        let html = filled.into_view().to_html();
        assert!(
            html.contains("已创建“<bdi>{id}</bdi>”。id 7，{unknown}"),
            "{html}"
        );
    }
}
