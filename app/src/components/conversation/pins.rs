//! The pinned bar under the header: the latest pin (who wrote it, its first line), which
//! shows the message when clicked, and the list of every pin when there are several.

use super::live::Live;
use super::message_list::ListScroll;
use crate::components::message::{name_in, preview};
use crate::i18n::{td_string, use_i18n};
use crate::protocol::frame::Frame;
use leptos::prelude::*;

/// One pin as a line: "Name: first line".
fn line(locale: crate::i18n::Locale, live: Live, f: &Frame) -> String {
    let who = live.senders.with(|p| name_in(locale, p, f.userid));
    format!("{who}: {}", preview(locale, f))
}

/// The bar, shown while anything is pinned.
#[component]
pub(super) fn PinnedBar(
    /// The open conversation.
    live: Live,
    /// Where a clicked pin is shown.
    scroll: ListScroll,
) -> impl IntoView {
    let i18n = use_i18n();
    let listing = RwSignal::new(false);
    let pins = live.pins;
    move || {
        let list = pins.get();
        let latest = list.first().cloned()?;
        let count = list.len();
        let locale = i18n.get_locale();
        let seq = latest.seq;
        let others = listing.get().then(|| {
            view! {
                <ul class="pins-list">
                    {list.iter().map(|f| {
                        let seq = f.seq;
                        let text = line(locale, live, f);
                        view! {
                            <li><button type="button" class="pin-line" on:click=move |_| {
                                listing.set(false);
                                scroll.jump_to(seq);
                            }>{text}</button></li>
                        }
                    }).collect_view()}
                </ul>
            }
        });
        Some(view! {
            <section class="pinned-bar" aria-label=td_string!(locale, pinned_message)>
                <span class="pin-icon" aria-hidden="true">"📌"</span>
                <button type="button" class="pin-line latest" on:click=move |_| scroll.jump_to(seq)>
                    <span class="pin-label">{td_string!(locale, pinned_message)}</span>
                    <span class="pin-text">{line(locale, live, &latest)}</span>
                </button>
                {(count > 1).then(|| view! {
                    <button type="button" class="small pins-toggle" aria-expanded=move || listing.get().to_string()
                        on:click=move |_| listing.update(|l| *l = !*l)>
                        {td_string!(locale, pinned_n, count = count).to_string()}
                    </button>
                })}
                {others}
            </section>
        })
    }
}
