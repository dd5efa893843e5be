//! The body both search dialogs share ("Add friend", "Join group"): a search box over a
//! server function, the results as rows, and one action per row whose outcome is shown above
//! the results.

use super::notice::{Notice, NoticeLine, NoticeText};
use crate::error::ApiError;
use crate::i18n::{t, td_string, use_i18n};
use leptos::{ev::SubmitEvent, html, prelude::*};
use std::future::Future;
use std::marker::PhantomData;

/// A result row's handle on the dialog's row action.
pub struct RowAction<T: 'static> {
    action: Action<T, ()>,
    pending: Memo<bool>,
}

impl<T: 'static> Clone for RowAction<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: 'static> Copy for RowAction<T> {}

impl<T: Send + Sync + 'static> RowAction<T> {
    /// Runs the action for `item`; its outcome shows in the dialog.
    pub fn run(&self, item: T) {
        self.action.dispatch(item);
    }

    /// Whether an action is running; rows disable their controls meanwhile (tracked).
    pub fn pending(&self) -> bool {
        self.pending.get()
    }
}

/// Mentions the result type and the two futures' types, which no other prop names; `fn()`
/// keeps it `Send` and `Sync` whatever they are.
type Marker<T, SFut, AFut> = PhantomData<fn() -> (T, SFut, AFut)>;

/// Search box, notice line and results; each result is a `li.row` whose content `row`
/// renders, with a control that dispatches the row action it is given.
#[component]
pub fn SearchDialog<T, S, SFut, A, AFut, R>(
    /// The search box's accessible name.
    label: &'static str,
    /// The search box's placeholder.
    placeholder: &'static str,
    /// The start of the line shown when nothing matches, e.g. "Nobody matches"; the query
    /// follows in quotes.
    no_match: &'static str,
    /// Looks up a trimmed, non-empty query (a server function).
    search: S,
    /// What a row's control does with its result. `Ok(Some(text))` is announced in the
    /// dialog, `Ok(None)` when the caller announces it elsewhere (e.g. after closing the
    /// dialog); an error is shown in the dialog either way.
    act: A,
    /// A result's row content (icon, names, control); the control runs the row action.
    row: R,
    /// Names the types that only the closures' bounds mention.
    #[prop(marker)]
    _types: Marker<T, SFut, AFut>,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    S: Fn(String) -> SFut + Send + Sync + 'static,
    SFut: Future<Output = Result<Vec<T>, ApiError>> + Send + 'static,
    A: Fn(T) -> AFut + Send + Sync + 'static,
    AFut: Future<Output = Result<Option<NoticeText>, ApiError>> + Send + 'static,
    R: Fn(T, RowAction<T>) -> AnyView + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let query = NodeRef::<html::Input>::new();
    let searched = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<Notice>);
    let lookup = Action::new(move |q: &String| search(q.clone()));
    let run = Action::new(move |item: &T| {
        let outcome = act(item.clone());
        async move {
            match outcome.await {
                Ok(Some(text)) => {
                    notice.set(Notice::ok(text));
                    // The clicked control may be replaced (an "Add" button by a "Friend"
                    // tag); keep the keyboard in the dialog, ready for the next search.
                    if let Some(input) = query.get_untracked() {
                        let _ = input.focus();
                    }
                }
                Ok(None) => {}
                Err(e) => notice.set(Notice::failed(e)),
            }
        }
    });
    let row_action = RowAction {
        action: run,
        pending: run.pending(),
    };
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let Some(input) = query.get() {
            let q = input.value().trim().to_owned();
            if !q.is_empty() {
                notice.set(None);
                searched.set(q.clone());
                lookup.dispatch(q);
            }
        }
    };
    let results = move || match lookup.value().get() {
        None => None,
        Some(Err(e)) => Some(
            view! { <p class="form-error" role="alert"><super::basics::ErrorText error=e/></p> }
                .into_any(),
        ),
        Some(Ok(found)) if found.is_empty() => {
            let q = searched.get_untracked();
            Some(view! { <p class="muted-line">{no_match}" “"<bdi>{q}</bdi>"”."</p> }.into_any())
        }
        Some(Ok(found)) => {
            let rows = found
                .into_iter()
                .map(|item| view! { <li class="row">{row(item, row_action)}</li> })
                .collect_view();
            Some(
                view! { <ul class="list results" aria-label=move || td_string!(i18n.get_locale(), search_results)>{rows}</ul> }
                    .into_any(),
            )
        }
    };

    view! {
        <form class="search" role="search" on:submit=on_submit>
            <input type="search" name="q" node_ref=query autofocus required maxlength="64"
                aria-label=label placeholder=placeholder/>
            <button type="submit" disabled=move || lookup.pending().get()>{t!(i18n, search)}</button>
        </form>
        <NoticeLine notice/>
        {results}
    }
}
