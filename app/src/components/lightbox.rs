//! An image message's full view: clicking a thumbnail opens the full picture in a modal
//! `<dialog>` (Escape, the Close button or a click on the backdrop close it). Without
//! JavaScript the thumbnail stays a plain link to the image, so nothing is lost.

use crate::i18n::{t, td_string, use_i18n};
use leptos::{html, prelude::*};

/// The picture to show: the message's `url` when it passes the URL rule, else its `pic`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FullImage {
    /// What the dialog shows.
    pub src: String,
    /// The original (`url`) to offer in a new tab; `None` unless it passes the URL rule.
    pub original: Option<String>,
}

/// Provided by the conversation view; thumbnails open their image through it.
#[derive(Clone, Copy)]
pub struct LightboxContext(pub RwSignal<Option<FullImage>>);

/// The full-view dialog; shows while `image` holds a picture and sets it back to `None` when
/// dismissed.
#[component]
pub fn Lightbox(
    /// The picture shown, if any.
    image: RwSignal<Option<FullImage>>,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    let i18n = use_i18n();
    Effect::new(move |_| {
        let want = image.with(Option::is_some);
        if let Some(d) = dialog.get() {
            if want && !d.open() {
                let _ = d.show_modal();
            } else if !want && d.open() {
                d.close();
            }
        }
    });
    // As in the other dialogs: Chromium may skip its own Escape handling after focus moved.
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" && image.with_untracked(Option::is_some) {
            image.set(None);
        }
    });
    on_cleanup(move || escape.remove());
    // A click on the backdrop lands on the dialog element itself; clicks on the picture or
    // the buttons land on them.
    let on_click = move |ev: leptos::ev::MouseEvent| {
        if ev.target().is_some() && ev.target() == ev.current_target() {
            image.set(None);
        }
    };
    view! {
        <dialog class="lightbox" node_ref=dialog aria-label=move || td_string!(i18n.get_locale(), image)
            on:close=move |_| image.set(None) on:click=on_click>
            {move || image.get().map(|full| view! {
                <img class="lightbox-image" src=full.src alt=move || td_string!(i18n.get_locale(), image)/>
                <div class="lightbox-actions">
                    {full.original.map(|href| view! {
                        <a class="button-link" href=href target="_blank" rel="noopener noreferrer">
                            {t!(i18n, open_original)}
                        </a>
                    })}
                    <button type="button" autofocus on:click=move |_| image.set(None)>{t!(i18n, close)}</button>
                </div>
            })}
        </dialog>
    }
}
