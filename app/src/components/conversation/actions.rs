//! What can be done to a message on screen: the bubble's "More actions" menu (Reply, Edit,
//! Recall, Delete for me, React, Forward, Pin, Copy; an item the reader may not use is not
//! there), the quick reactions it opens, and the dialog that forwards a message to other
//! conversations. Every action goes through [`Live::act`] (shown at once, sent with a cid);
//! a forward is a message of its own in each conversation picked.

use super::live::Live;
use crate::api::chat::list_conversations;
use crate::components::composer::ComposeMode;
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

/// Height the menu needs above its button to open upwards (nine items), in CSS pixels.
const MENU_ROOM_PX: f64 = 330.0;

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
    Pin,
    Unpin,
    Copy,
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
    /// Opens the forward dialog for a message.
    forward: Callback<Frame>,
) -> impl IntoView {
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    let reacting = RwSignal::new(false);
    // Opens downwards when there is not room for it above the button in the list.
    let downwards = RwSignal::new(false);
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
            Item::Forward => forward.run(f),
            Item::Pin => live.act(Act::Pin, seq, String::new()),
            Item::Unpin => live.act(Act::Unpin, seq, String::new()),
            Item::Copy => copy_text(&f.content),
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
            Item::Pin => td_string!(l, act_pin),
            Item::Unpin => td_string!(l, act_unpin),
            Item::Copy => td_string!(l, act_copy),
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
                        let top = w.get_bounding_client_rect().top();
                        let list_top = w
                            .closest(".message-scroll")
                            .ok()
                            .flatten()
                            .map_or(0.0, |l| l.get_bounding_client_rect().top());
                        downwards.set(top - list_top < MENU_ROOM_PX);
                    }
                    open.update(|o| *o = !*o);
                }>"⋯"</button>
            <Show when=move || open.get()>
                {move || if reacting.get() {
                    view! {
                        <div class="menu-pop reactions-pick" class:down=move || downwards.get() role="menu" aria-label=move || td_string!(i18n.get_locale(), act_react)>
                            {QUICK_REACTIONS.iter().map(|&e| view! {
                                <button type="button" role="menuitem" class="emoji-choice" aria-label=e
                                    on:click=move |_| react(e)>{e}</button>
                            }).collect_view()}
                        </div>
                    }.into_any()
                } else {
                    let list = f.with_value(|f| items(f, &live, now_ms()));
                    view! {
                        <div class="menu-pop" class:down=move || downwards.get() role="menu" aria-label=move || td_string!(i18n.get_locale(), more_actions)>
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

/// Forwards a message to the conversations picked: each gets a copy (its own message, with
/// "Forwarded"), sent through the socket like any message of mine.
#[component]
pub(super) fn ForwardDialog(
    /// The message being forwarded, while the dialog is open.
    message: RwSignal<Option<Frame>>,
    /// The open conversation (the copy's source).
    live: Live,
) -> impl IntoView {
    let i18n = use_i18n();
    // `open` follows the message being forwarded, and closing the dialog forgets it; each
    // side is only written when it would change, so the two never chase each other.
    let open = RwSignal::new(false);
    Effect::new(move |_| {
        let want = message.with(Option::is_some);
        if open.get_untracked() != want {
            open.set(want);
        }
    });
    Effect::new(move |_| {
        if !open.get() && message.with_untracked(Option::is_some) {
            message.set(None);
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
        let Some(src) = message.get_untracked() else {
            return;
        };
        // The copy's payload is the original's; the server copies it again from the source.
        let body = MessageBody::from_frame(&src).ok();
        for conv in picked.get_untracked() {
            let Some(to) = Target::in_conv(conv, live.me) else {
                continue;
            };
            let Some(body) = body.clone() else { continue };
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
        picked.set(Vec::new());
        query.set(String::new());
        open.set(false);
    };
    view! {
        <Modal open title=Signal::derive(move || td_string!(i18n.get_locale(), forward_to).to_string())>
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
