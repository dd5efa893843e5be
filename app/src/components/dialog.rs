//! A modal dialog on the native `<dialog>` element: the browser keeps focus inside it, dims
//! the page behind it and gives focus back to the opener when it closes; Escape closes it.

use crate::i18n::{td_string, use_i18n};
use leptos::{html, prelude::*};

/// A modal with a heading and a close button. Its body is rendered only while it is open, so
/// every opening starts from empty fields.
#[component]
pub fn Modal(
    /// Whether the dialog shows. Set it to `false` to close the dialog; the dialog sets it to
    /// `false` itself when the user dismisses it (Escape or the close button).
    open: RwSignal<bool>,
    /// The heading, which is also the dialog's accessible name.
    #[prop(into)]
    title: Signal<String>,
    /// The body.
    children: ChildrenFn,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    // The DOM follows `open`; `show_modal` focuses the body's `autofocus` field.
    Effect::new(move |_| {
        let want = open.get();
        if let Some(d) = dialog.get() {
            if want && !d.open() {
                let _ = d.show_modal();
            } else if !want && d.open() {
                d.close();
            }
        }
    });
    // Chromium skips the native Escape handling when the focused element was removed from
    // the dialog (e.g. a result's "Add" button replaced by its "Friend" tag), so Escape is
    // also handled here.
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" && open.get_untracked() {
            open.set(false);
        }
    });
    on_cleanup(move || escape.remove());
    let i18n = use_i18n();

    view! {
        <dialog class="modal" node_ref=dialog aria-label=title on:close=move |_| open.set(false)>
            <header class="modal-head">
                <h2>{title}</h2>
                <button type="button" class="icon" aria-label=move || td_string!(i18n.get_locale(), close)
                    on:click=move |_| open.set(false)>"×"</button>
            </header>
            <Show when=move || open.get()>{children()}</Show>
        </dialog>
    }
}
