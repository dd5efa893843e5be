//! A button that asks before it acts: the first click arms it and changes its label to the
//! question, the second does it. Moving focus away (or Escape) disarms it.

use leptos::prelude::*;

/// A destructive action's button, confirmed by a second click.
#[component]
pub fn ConfirmButton(
    /// The label at rest, e.g. "Remove".
    #[prop(into)]
    label: Signal<String>,
    /// The label once armed, e.g. "Remove?"; clicking it runs `on_confirm`.
    #[prop(into)]
    confirm: Signal<String>,
    /// True while the action runs; the button is disabled meanwhile.
    #[prop(into)]
    pending: Signal<bool>,
    /// What the confirmed click does.
    on_confirm: Callback<()>,
    /// CSS classes for the button.
    #[prop(optional, into)]
    class: String,
) -> impl IntoView {
    let armed = RwSignal::new(false);
    let on_click = move |_| {
        if armed.get_untracked() {
            armed.set(false);
            on_confirm.run(());
        } else {
            armed.set(true);
        }
    };
    view! {
        <button type="button" class=class class:armed=move || armed.get()
            disabled=move || pending.get()
            on:click=on_click
            on:blur=move |_| armed.set(false)
            on:keydown=move |ev| if ev.key() == "Escape" { armed.set(false) }>
            {move || if armed.get() { confirm.get() } else { label.get() }}
        </button>
    }
}
