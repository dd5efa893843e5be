//! What can be done to a message on screen: the bubble's "More actions" menu (Reply, Edit,
//! Recall, Delete for me, React, Forward, Select, Pin, Copy; an item the reader may not use
//! is not there), opened by its button, a right click or a long press; the quick reactions
//! it opens and the full emoji picker behind them; choosing several messages; and the dialog
//! that forwards them to other conversations. Every action goes through [`Live::act`] (shown
//! at once, sent with a cid); a forward is a message of its own in each conversation picked.

use super::live::Live;
use crate::api::chat::list_conversations;
use crate::components::composer::{save_recent, ComposeMode, Emoji, EmojiPanel};
use crate::components::dialog::Modal;
use crate::i18n::{t, td_string, use_i18n};
use crate::ids::Seq;
use crate::locale::now_ms;
use crate::protocol::action::Act;
use crate::protocol::body::{Media, MessageBody};
use crate::protocol::frame::{Extras, Frame, Outgoing, Target};
use crate::protocol::Conv;
use crate::ws::use_socket;
use leptos::{html, prelude::*};

/// Height the menu needs above its button to open upwards (ten items), in CSS pixels.
const MENU_ROOM_PX: f64 = 365.0;
/// Width the quick reactions need beside the button (the item list needs less), in CSS
/// pixels; with less room on either side, the row wraps.
const MENU_WIDTH_PX: f64 = 280.0;

/// The reactions offered first, as in most chat apps.
pub const QUICK_REACTIONS: [&str; 6] = ["👍", "❤️", "😂", "😮", "😢", "🎉"];

/// One entry of the menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    Reply,
    Edit,
    Recall,
    Hide,
    React,
    Forward,
    Select,
    Pin,
    Unpin,
    Copy,
    Report,
}

/// The items the reader may use on `f`, now (`now_ms`): Edit and Recall only within their
/// windows, Recall of others' messages only for a group's owner, Pin only with the right.
fn items(f: &Frame, live: &Live, now_ms: i64) -> Vec<Item> {
    let rights = live.rights.get_value();
    let mine = f.userid == live.me.0;
    let age = now_ms - f.ts;
    let text = f.media == Media::Text.code();
    let mut out = vec![Item::Reply];
    if mine && text && rights.edit_ms > 0 && age < rights.edit_ms {
        out.push(Item::Edit);
    }
    if (mine && rights.recall_ms > 0 && age < rights.recall_ms)
        || (rights.owner && matches!(live.conv, Conv::Group(_)))
    {
        out.push(Item::Recall);
    }
    out.push(Item::Hide);
    out.push(Item::React);
    out.push(Item::Forward);
    out.push(Item::Select);
    if rights.may_pin {
        out.push(if f.pinned_at > 0 {
            Item::Unpin
        } else {
            Item::Pin
        });
    }
    if text && !f.content.is_empty() {
        out.push(Item::Copy);
    }
    if !mine {
        out.push(Item::Report);
    }
    out
}

/// Puts `text` on the clipboard (the browser's async clipboard).
fn copy_text(text: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().clipboard().write_text(text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}

/// The "More actions" button of a stored message and the menu it opens.
#[component]
pub(super) fn MessageMenu(
    /// The message.
    frame: Frame,
    /// The open conversation.
    live: Live,
) -> impl IntoView {
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    let reacting = RwSignal::new(false);
    // Opens downwards when there is not room for it above the button in the list, and grows
    // towards the side of the list with room for it (never past the list's edge).
    let downwards = RwSignal::new(false);
    let grow_left = RwSignal::new(frame.userid == live.me.0);
    let room = RwSignal::new(None::<f64>);
    let tall = RwSignal::new(None::<f64>);
    let wrapper = NodeRef::<html::Div>::new();
    let seq = Seq(frame.seq);
    let close = move || {
        open.set(false);
        reacting.set(false);
    };
    let f = StoredValue::new(frame);
    let run = move |item: Item| {
        let f = f.get_value();
        match item {
            Item::Reply => live.draft_mode.set(ComposeMode::Reply(f)),
            Item::Edit => live.draft_mode.set(ComposeMode::Edit(f)),
            Item::Recall => live.act(Act::Recall, seq, String::new()),
            Item::Hide => live.act(Act::Hide, seq, String::new()),
            Item::React => {
                // Focus steps back to the button first: the item about to be replaced by the
                // emoji row must not take the focus away with it (which would close the menu).
                if let Some(more) = wrapper
                    .get_untracked()
                    .and_then(|w| w.query_selector(".more").ok().flatten())
                    .and_then(|e| {
                        leptos::wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok()
                    })
                {
                    let _ = more.focus();
                }
                reacting.set(true);
                return;
            }
            Item::Forward => live.forwarding.set(vec![f]),
            Item::Select => live.selection.set(Some(vec![seq])),
            Item::Pin => live.act(Act::Pin, seq, String::new()),
            Item::Unpin => live.act(Act::Unpin, seq, String::new()),
            Item::Copy => copy_text(&f.content),
            Item::Report => live.reporting.set(Some(f)),
        }
        close();
    };
    let label = move |item: Item| {
        let l = i18n.get_locale();
        match item {
            Item::Reply => td_string!(l, act_reply),
            Item::Edit => td_string!(l, act_edit),
            Item::Recall => td_string!(l, act_recall),
            Item::Hide => td_string!(l, act_delete_for_me),
            Item::React => td_string!(l, act_react),
            Item::Forward => td_string!(l, act_forward),
            Item::Select => td_string!(l, act_select),
            Item::Pin => td_string!(l, act_pin),
            Item::Unpin => td_string!(l, act_unpin),
            Item::Copy => td_string!(l, act_copy),
            Item::Report => td_string!(l, act_report),
        }
    };
    let react = move |emoji: &'static str| {
        let mine = f.with_value(|f| {
            f.reactions
                .iter()
                .any(|r| r.emoji == emoji && r.users.contains(&live.me))
        });
        let act = if mine { Act::Unreact } else { Act::React };
        live.act(act, seq, emoji.to_owned());
        close();
    };
    // Leaving the menu with the keyboard or a click elsewhere closes it.
    let on_focusout = move |ev: leptos::ev::FocusEvent| {
        let inside = ev
            .related_target()
            .and_then(|t| leptos::wasm_bindgen::JsCast::dyn_into::<web_sys::Node>(t).ok())
            .zip(wrapper.get_untracked())
            .is_some_and(|(node, w)| w.contains(Some(&node)));
        if !inside {
            close();
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" && open.get_untracked() {
            ev.stop_propagation();
            close();
        }
    };
    // The first item takes focus when the menu opens, so the keyboard can go on from there.
    Effect::new(move |_| {
        let _ = (open.get(), reacting.get());
        request_animation_frame(move || {
            let first = wrapper
                .get_untracked()
                .filter(|_| open.get_untracked())
                .and_then(|w| w.query_selector("[role=menuitem]").ok().flatten())
                .and_then(|e| {
                    leptos::wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok()
                });
            if let Some(first) = first {
                let _ = first.focus();
            }
        });
    });
    view! {
        <div class="msg-menu" node_ref=wrapper on:focusout=on_focusout on:keydown=on_keydown
            on:mousedown=|ev: leptos::ev::MouseEvent| {
                // A click inside keeps focus where it is, so the menu does not close under it
                // in browsers that do not focus clicked buttons.
                if ev.target() != ev.current_target() {
                    ev.prevent_default();
                }
            }>
            <button type="button" class="more" aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                aria-label=move || td_string!(i18n.get_locale(), more_actions)
                on:click=move |_| {
                    if let Some(w) = wrapper.get_untracked() {
                        let here = w.get_bounding_client_rect();
                        let list = w
                            .closest(".message-scroll")
                            .ok()
                            .flatten()
                            .map(|l| l.get_bounding_client_rect());
                        let (top, bottom, left, right) = list.map_or(
                            (0.0, f64::MAX, 0.0, f64::MAX),
                            |l| (l.top(), l.bottom(), l.left(), l.right()),
                        );
                        let (above, below) = (here.top() - top, bottom - here.bottom());
                        let down = above < MENU_ROOM_PX && below > above;
                        downwards.set(down);
                        tall.set(Some(if down { below } else { above } - 8.0));
                        let (on_right, on_left) = (right - here.left(), here.right() - left);
                        let mine = grow_left.get_untracked();
                        let fits = if mine { on_left } else { on_right } >= MENU_WIDTH_PX;
                        let left_side = if fits { mine } else { on_left > on_right };
                        grow_left.set(left_side);
                        room.set(Some(if left_side { on_left } else { on_right } - 8.0));
                    }
                    open.update(|o| *o = !*o);
                }>"⋯"</button>
            <Show when=move || open.get()>
                {move || if reacting.get() {
                    view! {
                        <div class="menu-pop reactions-pick" class:down=move || downwards.get() class:grow-left=move || grow_left.get() class:grow-right=move || !grow_left.get() style:max-width=move || room.get().map(|r| format!("{r}px")) role="menu" aria-label=move || td_string!(i18n.get_locale(), act_react)>
                            {QUICK_REACTIONS.iter().map(|&e| view! {
                                <button type="button" role="menuitem" class="emoji-choice" aria-label=e
                                    on:click=move |_| react(e)>{e}</button>
                            }).collect_view()}
                            <button type="button" role="menuitem" class="emoji-choice more-emoji"
                                aria-label=move || td_string!(i18n.get_locale(), more_emoji)
                                title=move || td_string!(i18n.get_locale(), more_emoji)
                                on:click=move |_| {
                                    close();
                                    live.reacting.set(Some(f.get_value()));
                                }>"+"</button>
                        </div>
                    }.into_any()
                } else {
                    let list = f.with_value(|f| items(f, &live, now_ms()));
                    view! {
                        <div class="menu-pop" class:down=move || downwards.get() class:grow-left=move || grow_left.get() class:grow-right=move || !grow_left.get() style:max-width=move || room.get().map(|r| format!("{r}px")) style:max-height=move || tall.get().map(|t| format!("{t}px")) role="menu" aria-label=move || td_string!(i18n.get_locale(), more_actions)>
                            {list.into_iter().map(|item| {
                                let danger = matches!(item, Item::Recall | Item::Hide);
                                view! {
                                    <button type="button" role="menuitem" class:danger=danger
                                        on:click=move |_| run(item)>{move || label(item)}</button>
                                }
                            }).collect_view()}
                        </div>
                    }.into_any()
                }}
            </Show>
        </div>
    }
}

/// Forwards messages to the conversations picked: each gets a copy of each (its own message,
/// with "Forwarded", in the original order), sent through the socket like any message of
/// mine. Open while [`Live::forwarding`] holds messages.
#[component]
pub(super) fn ForwardDialog(
    /// The open conversation (the copies' source).
    live: Live,
) -> impl IntoView {
    let i18n = use_i18n();
    let messages = live.forwarding;
    // `open` follows the messages being forwarded, and closing the dialog forgets them;
    // each side is only written when it would change, so the two never chase each other.
    let open = RwSignal::new(false);
    Effect::new(move |_| {
        let want = messages.with(|m| !m.is_empty());
        if open.get_untracked() != want {
            open.set(want);
        }
    });
    Effect::new(move |_| {
        if !open.get() && messages.with_untracked(|m| !m.is_empty()) {
            messages.set(Vec::new());
        }
    });
    let query = RwSignal::new(String::new());
    let picked = RwSignal::new(Vec::<Conv>::new());
    let list = LocalResource::new(move || {
        let _ = open.get();
        list_conversations()
    });
    let send = move |_| {
        let Some(socket) = use_socket() else { return };
        let mut sources = messages.get_untracked();
        sources.sort_by_key(|f| f.seq);
        for conv in picked.get_untracked() {
            let Some(to) = Target::in_conv(conv, live.me) else {
                continue;
            };
            for src in &sources {
                // The copy's payload is the original's; the server copies it again from the
                // source.
                let Ok(body) = MessageBody::from_frame(src) else {
                    continue;
                };
                socket.send_message(Outgoing {
                    to,
                    cid: crate::components::composer::new_cid(),
                    body,
                    extras: Extras {
                        forward_of: Some((live.conv, Seq(src.seq))),
                        ..Extras::default()
                    },
                });
            }
        }
        picked.set(Vec::new());
        query.set(String::new());
        live.selection.set(None);
        open.set(false);
    };
    let title = Signal::derive(move || {
        let l = i18n.get_locale();
        match messages.with(Vec::len) {
            0 | 1 => td_string!(l, forward_to).to_string(),
            n => format!("{} ({})", td_string!(l, forward_to), n),
        }
    });
    view! {
        <Modal open title>
            <input type="search" class="forward-search" autofocus
                aria-label=move || td_string!(i18n.get_locale(), forward_search)
                placeholder=move || td_string!(i18n.get_locale(), forward_search)
                on:input=move |ev| query.set(event_target_value(&ev))/>
            <ul class="forward-list">
                <Suspense>
                    {move || list.get().map(|rows| {
                        let q = query.get().to_lowercase();
                        rows.ok().unwrap_or_default().into_iter()
                            .filter(|c| q.is_empty() || c.title.to_lowercase().contains(&q))
                            .map(|c| {
                                let conv = c.conv;
                                let checked = move || picked.with(|p| p.contains(&conv));
                                view! {
                                    <li>
                                        <label>
                                            <input type="checkbox" prop:checked=checked
                                                on:change=move |_| picked.update(|p| {
                                                    if let Some(i) = p.iter().position(|x| *x == conv) {
                                                        p.remove(i);
                                                    } else {
                                                        p.push(conv);
                                                    }
                                                })/>
                                            <bdi>{c.title.clone()}</bdi>
                                        </label>
                                    </li>
                                }
                            })
                            .collect_view()
                    })}
                </Suspense>
            </ul>
            <div class="modal-actions">
                <button type="button" disabled=move || picked.with(Vec::is_empty) on:click=send>
                    {t!(i18n, forward_send)}
                </button>
            </div>
        </Modal>
    }
}

/// A row's check box while messages are being chosen (it stands where the menu button was).
#[component]
pub(super) fn SelectBox(
    /// The message's seq.
    seq: Seq,
    /// The open conversation.
    live: Live,
) -> impl IntoView {
    let i18n = use_i18n();
    let checked = move || {
        live.selection
            .with(|s| s.as_ref().is_some_and(|v| v.contains(&seq)))
    };
    view! {
        <label class="select-box">
            <input type="checkbox" prop:checked=checked
                aria-label=move || td_string!(i18n.get_locale(), select_message)
                on:change=move |_| live.selection.update(|s| {
                    if let Some(v) = s {
                        if let Some(i) = v.iter().position(|x| *x == seq) {
                            v.remove(i);
                        } else {
                            v.push(seq);
                        }
                    }
                })/>
        </label>
    }
}

/// The bar that stands in for the composer while messages are being chosen: how many, Forward
/// them, or stop (Escape stops too).
#[component]
pub(super) fn SelectionBar(
    /// The open conversation.
    live: Live,
) -> impl IntoView {
    let i18n = use_i18n();
    let count = move || live.selection.with(|s| s.as_ref().map_or(0, Vec::len));
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        let dialog_open = !live.forwarding.with_untracked(Vec::is_empty);
        if ev.key() == "Escape" && live.selecting.get_untracked() && !dialog_open {
            live.selection.set(None);
        }
    });
    on_cleanup(move || escape.remove());
    let forward = move |_| {
        let chosen = live.selection.get_untracked().unwrap_or_default();
        let frames: Vec<Frame> = live.timeline.with_untracked(|t| {
            let mut v: Vec<Frame> = chosen
                .iter()
                .filter_map(|s| t.get(*s).cloned())
                .filter(|f| f.recalled_by == 0)
                .collect();
            v.sort_by_key(|f| f.seq);
            v
        });
        live.forwarding.set(frames);
    };
    view! {
        <Show when=move || live.selecting.get()>
            <div class="selection-bar" role="toolbar" aria-label=move || td_string!(i18n.get_locale(), act_select)>
                <button type="button" class="icon" aria-label=move || td_string!(i18n.get_locale(), stop_selecting)
                    on:click=move |_| live.selection.set(None)>"×"</button>
                <span class="selection-count" role="status">{move || td_string!(i18n.get_locale(), selected_n, count = count()).to_string()}</span>
                <button type="button" disabled=move || count() == 0 on:click=forward
                    aria-label=move || td_string!(i18n.get_locale(), forward_selected)>
                    {t!(i18n, forward_send)}
                </button>
            </div>
        </Show>
    }
}

/// The full emoji picker for a reaction (behind the quick row's "+"): any emoji, searched or
/// browsed, toggles my reaction with it.
#[component]
pub(super) fn ReactionPicker(
    /// The open conversation.
    live: Live,
) -> impl IntoView {
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    Effect::new(move |_| {
        let want = live.reacting.with(Option::is_some);
        if open.get_untracked() != want {
            open.set(want);
        }
    });
    Effect::new(move |_| {
        if !open.get() && live.reacting.with_untracked(Option::is_some) {
            live.reacting.set(None);
        }
    });
    let pick = Callback::new(move |emoji: Emoji| {
        if let Some(f) = live.reacting.get_untracked() {
            let mine = f
                .reactions
                .iter()
                .any(|r| r.emoji == emoji.glyph && r.users.contains(&live.me));
            let act = if mine { Act::Unreact } else { Act::React };
            live.act(act, Seq(f.seq), emoji.glyph.to_owned());
            save_recent(emoji);
        }
        open.set(false);
    });
    view! {
        <Modal open title=Signal::derive(move || td_string!(i18n.get_locale(), act_react).to_string())>
            <div class="reaction-picker">
                <EmojiPanel pick/>
            </div>
        </Modal>
    }
}
