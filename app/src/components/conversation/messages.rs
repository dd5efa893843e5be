//! The message area: the scrolling list of rows and my uploads, "Loading earlier messages",
//! the "N new messages" button and the hint shown while files are dragged over.

use super::live::Live;
use super::message_list::{HistoryStatus, ListScroll, NewMessagesButton};
use super::rows::{rows, RowView};
use crate::components::composer::{Attachments, Outbox, UploadBubble};
use crate::i18n::{t, td_string, use_i18n};
use crate::locale::use_clock;
use crate::protocol::Conv;
use leptos::prelude::*;

/// The open conversation's messages, live.
#[component]
pub(super) fn MessageArea(
    /// The conversation's state.
    live: Live,
    /// The list's scrolling.
    scroll: ListScroll,
    /// My uploads, shown after the messages.
    attachments: Attachments,
    /// Where Retry sends a failed message again.
    outbox: Outbox,
) -> impl IntoView {
    let i18n = use_i18n();
    let clock = use_clock();
    let Live {
        conv,
        me,
        timeline,
        senders,
        notices,
        peer_read,
        ..
    } = live;
    let in_group = matches!(conv, Conv::Group(_));
    let empty = move || {
        timeline.with(|t| t.items().next().is_none()) && attachments.jobs.with(Vec::is_empty)
    };
    view! {
        <div class="message-area">
        <div class="message-scroll" node_ref=scroll.scroller on:scroll=move |_| scroll.on_scroll()>
            <Show when=empty>
                <p class="empty">{t!(i18n, no_messages)}</p>
            </Show>
            <ol class="messages" aria-label=move || td_string!(i18n.get_locale(), messages) node_ref=scroll.list>
                <For each=move || {
                    let (now, offset) = clock.map_or((0, 0), |c| (c.now_ms.get(), c.offset_min.get()));
                    notices.with(|n| live.read_marks.with(|marks| timeline.with(|t| {
                        rows(t, n, me, conv, peer_read.get(), marks, now, offset)
                    })))
                } key=|r| (r.key.clone(), r.read, r.day, r.read_by, r.rev, r.cont, r.ends, r.pause) let:row>
                    <RowView row senders me in_group outbox live/>
                </For>
                <For each=move || attachments.jobs.with(|j| j.iter().map(|u| u.id).collect::<Vec<_>>())
                    key=|id| *id let:id>
                    <UploadBubble attachments id/>
                </For>
            </ol>
            // Listed after the messages: the column is reversed, so this shows above them.
            <HistoryStatus scroll/>
        </div>
        <NewMessagesButton scroll/>
        <div class="drop-hint" aria-hidden="true"><span>{t!(i18n, drop_to_send)}</span></div>
        </div>
    }
}
