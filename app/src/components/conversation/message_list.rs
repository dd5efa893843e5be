//! The message list's scrolling: it opens on the newest message and follows new ones while the
//! reader is at the bottom; scrolled up, arrivals leave the view alone and are counted for the
//! "N new messages" button; near the top, the page before the oldest held message loads.
//!
//! The view is kept still by an anchor rather than by arithmetic on `scrollTop`: on every
//! scroll the first message in view and its distance from the top are noted, and after any
//! change to the list that message is put back at that distance. That holds whichever end
//! grew (an older page above, a new message below, a "Read" or "Sending…" line) and whatever
//! the CSS does with `scrollTop` (the list is `column-reverse`, so it starts at the bottom
//! without any script, and Chromium then counts `scrollTop` from the bottom, negative
//! upwards).

use crate::api::chat::load_conversation;
use crate::i18n::{td_string, use_i18n};
use crate::protocol::frame::Frame;
use crate::protocol::{Conv, User};
use crate::state::follow::{Arrival, Follow};
use crate::state::history::{merge_notices, merge_senders, Older};
use crate::state::timeline::Timeline;
use leptos::{html, prelude::*};

/// How close to the top (px of list still above the view) an older page starts loading, so
/// it is usually there before the reader gets to the top.
const LOAD_MARGIN_PX: f64 = 400.0;
/// How close to the bottom counts as "at the bottom" (rounding, a last line half hidden).
const BOTTOM_SLACK_PX: f64 = 40.0;

/// The first message in view: its seq and its top's distance from the scroller's top.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Anchor {
    seq: i64,
    offset: f64,
}

/// Everything the list's scrolling needs, as arena handles (`Copy`), so event handlers,
/// effects and animation-frame callbacks can all hold it.
#[derive(Clone, Copy)]
pub struct ListScroll {
    /// The scrolling element (`.message-scroll`).
    pub scroller: NodeRef<html::Div>,
    /// The `<ol class="messages">` inside it.
    pub list: NodeRef<html::Ol>,
    /// Following the newest message, and what arrived unseen.
    pub follow: RwSignal<Follow>,
    /// Older pages: whether one is loading.
    pub older: RwSignal<Older>,
    anchor: StoredValue<Option<Anchor>>,
    /// Set by an arrival that must bring the view down (my own message), until applied.
    stick: StoredValue<bool>,
    /// True from a change to the list until the frame that settles the view: a scroll event
    /// in between is the browser moving the content, not the reader, and must not move the
    /// anchor (scroll events are dispatched before animation-frame callbacks).
    settling: StoredValue<bool>,
    timeline: RwSignal<Timeline>,
    senders: RwSignal<Vec<User>>,
    notices: RwSignal<Vec<Frame>>,
    conv: Conv,
}

impl ListScroll {
    /// The scrolling of `conv`'s list, over its timeline, the senders known so far and the
    /// system notices placed among the messages.
    pub fn new(
        conv: Conv,
        timeline: RwSignal<Timeline>,
        senders: RwSignal<Vec<User>>,
        notices: RwSignal<Vec<Frame>>,
    ) -> ListScroll {
        ListScroll {
            scroller: NodeRef::new(),
            list: NodeRef::new(),
            follow: RwSignal::new(Follow::default()),
            older: RwSignal::new(Older::default()),
            anchor: StoredValue::new(None),
            stick: StoredValue::new(false),
            settling: StoredValue::new(false),
            timeline,
            senders,
            notices,
            conv,
        }
    }

    /// Wires the list up once it is in the page: after every change to the timeline the view
    /// sticks to the bottom or stays on its anchor, and a new pending message of mine (the
    /// composer's, or one restored after a reload) brings the view down.
    pub fn start(self) {
        Effect::new(move |seen: Option<Option<crate::ids::Cid>>| {
            let newest_pending = self.timeline.with(|t| {
                t.items().last().and_then(|item| match item {
                    crate::state::timeline::Item::Pending(p) => Some(p.cid.clone()),
                    crate::state::timeline::Item::Stored(_) => None,
                })
            });
            if seen.is_some() && newest_pending.is_some() && seen.as_ref() != Some(&newest_pending)
            {
                self.arrived(true);
            }
            self.settle();
            newest_pending
        });
    }

    /// Something of mine was added below the messages (an upload starting): down to it.
    pub fn show_mine(self) {
        self.arrived(true);
        self.settle();
    }

    /// A message from someone else arrived live; `mine` for one I wrote.
    pub fn arrived(self, mine: bool) {
        let arrival = self.follow.try_update(|f| f.arrived(1, mine));
        if arrival == Some(Arrival::Stick) {
            self.stick.set_value(true);
        }
    }

    /// After the DOM has taken the latest change (the next animation frame, before it is
    /// painted): to the bottom when following, else back onto the anchor; then, if the top
    /// is near (a short list, or the reader is there), the next older page.
    fn settle(self) {
        if self.settling.get_value() {
            // The frame already asked for settles this change too.
            return;
        }
        self.settling.set_value(true);
        request_animation_frame(move || {
            self.settling.try_set_value(false);
            let stick = self.stick.try_get_value().unwrap_or(false);
            self.stick.try_set_value(false);
            let pinned = self
                .follow
                .try_with_untracked(Follow::pinned)
                .unwrap_or(true);
            if stick || pinned {
                self.to_bottom();
            } else {
                self.restore_anchor();
            }
            self.note_anchor();
            if self.near_top() {
                self.load_older();
            }
        });
    }

    /// The scroll handler: notes where the reader is, clears the unseen count at the bottom,
    /// and loads older messages near the top.
    pub fn on_scroll(self) {
        if self.settling.get_value() {
            return;
        }
        let at_bottom = self.at_bottom();
        // Scroll events come many a second: only a real change re-renders the button.
        self.follow.maybe_update(|f| {
            let before = *f;
            f.scrolled(at_bottom);
            *f != before
        });
        self.note_anchor();
        if self.near_top() {
            self.load_older();
        }
    }

    /// The "N new messages" button: down to the newest message.
    pub fn jump_to_bottom(self) {
        self.follow.update(Follow::jumped);
        self.to_bottom();
        self.note_anchor();
    }

    /// Loads the page before the oldest held message, unless one is loading already or the
    /// beginning is held; merges its messages and senders, then settles the view.
    pub fn load_older(self) {
        let Some(before) = self
            .timeline
            .with_untracked(|t| self.older.try_update(|o| o.begin(t)))
            .flatten()
        else {
            return;
        };
        let key = self.conv.key();
        leptos::task::spawn_local(async move {
            // A failed page is simply asked for again on the next scroll.
            if let Ok(page) = load_conversation(key, Some(before.0)).await {
                // Senders first: rows render their sender's name when they are created.
                self.senders.try_update(|s| merge_senders(s, page.senders));
                self.notices.try_update(|n| merge_notices(n, page.notices));
                self.timeline
                    .try_update(|t| t.apply_older_page(page.messages));
            }
            self.older.try_update(Older::finish);
        });
    }

    /// Shows the message at `seq` (a quote was clicked): loads older pages until it is held,
    /// then scrolls it into the middle of the view and marks it for a moment.
    pub fn jump_to(self, seq: i64) {
        let key = self.conv.key();
        leptos::task::spawn_local(async move {
            // Each page brings up to 30 older seqs; a quote can name any earlier message.
            for _ in 0..200 {
                let held = self
                    .timeline
                    .try_with_untracked(|t| t.get(crate::ids::Seq(seq)).is_some())
                    .unwrap_or(true);
                if held {
                    break;
                }
                let Some(before) = self
                    .timeline
                    .try_with_untracked(|t| t.oldest_seq())
                    .flatten()
                else {
                    break;
                };
                let Ok(page) = load_conversation(key.clone(), Some(before.0)).await else {
                    break;
                };
                self.senders.try_update(|s| merge_senders(s, page.senders));
                self.notices.try_update(|n| merge_notices(n, page.notices));
                self.timeline
                    .try_update(|t| t.apply_older_page(page.messages));
            }
            request_animation_frame(move || self.reveal(seq));
        });
    }

    /// Scrolls the row of `seq` into view and highlights it briefly.
    fn reveal(self, seq: i64) {
        let Some(list) = self.list.get_untracked() else {
            return;
        };
        let Ok(Some(row)) = list.query_selector(&format!("[data-seq=\"{seq}\"]")) else {
            return;
        };
        self.follow.update(|f| f.scrolled(false));
        #[cfg(feature = "hydrate")]
        {
            let opts = web_sys::ScrollIntoViewOptions::new();
            opts.set_block(web_sys::ScrollLogicalPosition::Center);
            row.scroll_into_view_with_scroll_into_view_options(&opts);
        }
        let _ = row.class_list().add_1("flash");
        set_timeout(
            move || {
                let _ = row.class_list().remove_1("flash");
            },
            std::time::Duration::from_millis(1600),
        );
        self.note_anchor();
    }

    fn to_bottom(self) {
        if let Some(el) = self.scroller.get_untracked() {
            // Past the end clamps to the end, whichever way the CSS counts.
            el.set_scroll_top(i32::MAX);
        }
    }

    /// The list's edges relative to the scroller's: (list top - view top, list bottom - view
    /// bottom). Negative top: some of the list is above the view.
    fn edges(self) -> Option<(f64, f64)> {
        let scroller = self.scroller.get_untracked()?;
        let list = self.list.get_untracked()?;
        let view = scroller.get_bounding_client_rect();
        let rect = list.get_bounding_client_rect();
        Some((rect.top() - view.top(), rect.bottom() - view.bottom()))
    }

    fn at_bottom(self) -> bool {
        self.edges()
            .is_none_or(|(_, below)| below <= BOTTOM_SLACK_PX)
    }

    fn near_top(self) -> bool {
        self.edges()
            .is_some_and(|(above, _)| above > -LOAD_MARGIN_PX)
    }

    /// Remembers the first stored message in view and where it is.
    fn note_anchor(self) {
        let anchor = self.find_anchor();
        self.anchor.try_set_value(anchor);
    }

    fn find_anchor(self) -> Option<Anchor> {
        let scroller = self.scroller.get_untracked()?;
        let list = self.list.get_untracked()?;
        let top = scroller.get_bounding_client_rect().top();
        let rows = list.children();
        // Rows are in display order, so the first one reaching into the view is found by
        // bisection: a long history costs a few layout reads, not one per message.
        let (mut lo, mut hi) = (0u32, rows.length());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let below_top = rows
                .item(mid)
                .is_some_and(|el| el.get_bounding_client_rect().bottom() > top);
            if below_top {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        // Status lines ("Read", "Sending…") and pending rows carry no seq; take the next
        // stored message.
        (lo..rows.length()).find_map(|i| {
            let el = rows.item(i)?;
            let seq = el.get_attribute("data-seq")?.parse::<i64>().ok()?;
            (seq > 0).then(|| Anchor {
                seq,
                offset: el.get_bounding_client_rect().top() - top,
            })
        })
    }

    fn restore_anchor(self) {
        let Some(anchor) = self.anchor.try_get_value().flatten() else {
            return;
        };
        let (Some(scroller), Some(list)) =
            (self.scroller.get_untracked(), self.list.get_untracked())
        else {
            return;
        };
        let selector = format!(":scope > [data-seq=\"{}\"]", anchor.seq);
        if let Ok(Some(el)) = list.query_selector(&selector) {
            let top = scroller.get_bounding_client_rect().top();
            let moved = el.get_bounding_client_rect().top() - top - anchor.offset;
            if moved.abs() >= 0.5 {
                scroller.scroll_by_with_x_and_y(0.0, moved);
            }
        }
    }
}

/// "Loading earlier messages…" while a page loads, "Beginning of the conversation" once
/// seq 1 is held.
#[component]
pub fn HistoryStatus(
    /// The list's scrolling state.
    scroll: ListScroll,
) -> impl IntoView {
    let i18n = use_i18n();
    let loading = move || scroll.older.with(Older::loading);
    let beginning = move || scroll.timeline.with(crate::state::history::at_beginning);
    view! {
        <p class="history-status" class:loading=loading role="status">
            {move || if loading() {
                td_string!(i18n.get_locale(), loading_earlier)
            } else if beginning() {
                td_string!(i18n.get_locale(), beginning)
            } else {
                ""
            }}
        </p>
    }
}

/// The floating "N new messages" button, shown while messages arrived unseen.
#[component]
pub fn NewMessagesButton(
    /// The list's scrolling state.
    scroll: ListScroll,
) -> impl IntoView {
    let i18n = use_i18n();
    let unseen = move || scroll.follow.with(Follow::unseen);
    view! {
        <Show when=move || { unseen() > 0 }>
            <button type="button" class="new-messages" on:click=move |_| scroll.jump_to_bottom()>
                {move || crate::state::follow::new_messages_label(i18n.get_locale(), unseen())}
                <span aria-hidden="true">" ↓"</span>
            </button>
        </Show>
    }
}
