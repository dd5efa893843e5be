//! The composer itself: the tools row above a plain form (`POST /send`) that works without
//! JavaScript. With the page's script the form sends over the socket instead, keeps a draft
//! per conversation, sends pasted pictures and tells the other side I am typing.

use super::attachments::Attachments;
use super::draft;
use super::outbox::{new_cid, Outbox};
use super::tools::ComposerTools;
use crate::components::basics::ErrorText;
use crate::i18n::{t, td_string, use_i18n};
use crate::ids::{Cid, UserId};
use crate::locale::now_ms;
use crate::protocol::body::MessageBody;
use crate::protocol::frame::{ClientCmd, TypingTo};
use crate::protocol::Conv;
use crate::ws::use_socket;
use leptos::{html, prelude::*};
use leptos_router::hooks::use_query_map;

/// How often typing is signalled while keys are pressed.
const TYPING_EVERY_MS: i64 = 3000;

/// The tools row and the message form of one conversation.
#[component]
pub fn Composer(
    /// The open conversation.
    conv: Conv,
    /// The other person of a private conversation (typing goes to them; in a group, to the
    /// group).
    peer: Option<UserId>,
    /// The client id the server chose for the form's first message.
    next_cid: Cid,
    /// Where composed messages go.
    outbox: Outbox,
    /// The conversation's uploads (pasted pictures join them).
    attachments: Attachments,
) -> impl IntoView {
    let i18n = use_i18n();
    let socket = use_socket();
    let error = outbox.error;
    // The no-JS error path gives back what was typed (`?draft=`).
    let draft = use_query_map()
        .with_untracked(|q| q.get_str("draft").map(str::to_owned).unwrap_or_default());
    let cid = RwSignal::new(next_cid);
    let last_typing_sent = StoredValue::new(0i64);
    let textarea = NodeRef::<html::Textarea>::new();
    let form = NodeRef::<html::Form>::new();
    let send_body = move |body: MessageBody| {
        outbox.send(cid.get_untracked(), body);
        cid.set(new_cid());
    };
    // A picture pasted into the composer is sent as one (text pastes as text).
    let on_paste = move |ev: leptos::ev::ClipboardEvent| {
        #[cfg(feature = "hydrate")]
        {
            let files = super::attachments::pasted_files(&ev);
            if !files.is_empty() {
                ev.prevent_default();
                attachments.add_files(files);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if !outbox.is_live() {
            return;
        }
        ev.prevent_default();
        let Some(area) = textarea.get() else { return };
        let text = area.value();
        if text.trim().is_empty() {
            return;
        }
        match MessageBody::new(1, text, String::new(), String::new(), String::new(), 0) {
            Ok(body) => {
                send_body(body);
                area.set_value("");
                draft::clear(conv);
            }
            Err(e) => error.set(Some(e)),
        }
    };
    // The server cannot know this browser's draft: it comes back after hydration, unless the
    // no-JS error path already filled the box (`?draft=`).
    Effect::new(move |_| {
        if let Some(area) = textarea.get() {
            if area.value().is_empty() {
                if let Some(saved) = draft::load(conv) {
                    area.set_value(&saved);
                }
            }
        }
    });
    // Enter sends, Shift+Enter is a new line, and nothing is sent while an input method is
    // still composing a character.
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            if let Some(f) = form.get() {
                let _ = f.request_submit();
            }
        }
    };
    // Keeps the draft (per conversation, in this browser) and tells the peer (or the group)
    // I am typing, at most every few seconds.
    let on_input = move |_| {
        if let Some(area) = textarea.get_untracked() {
            draft::save(conv, &area.value());
        }
        let Some(socket) = socket else {
            return;
        };
        let now = now_ms();
        if now - last_typing_sent.get_value() >= TYPING_EVERY_MS {
            last_typing_sent.set_value(now);
            socket.send_now(ClientCmd::Typing(match peer {
                Some(peer) => TypingTo::User(peer),
                None => TypingTo::Conv(conv),
            }));
        }
    };
    view! {
        <ComposerTools textarea send=Callback::new(send_body) attachments/>
        <form class="composer" method="post" action="/send" node_ref=form on:submit=on_submit>
            {move || error.get().map(|error| view! { <p class="form-error" role="alert"><ErrorText error/></p> })}
            <input type="hidden" name="conv" value=conv.key()/>
            <input type="hidden" name="cid" value=move || cid.get().to_string()/>
            <textarea name="content" aria-label=move || td_string!(i18n.get_locale(), message) placeholder=move || td_string!(i18n.get_locale(), message) rows="2"
                required maxlength="4000" node_ref=textarea on:keydown=on_keydown on:input=on_input on:paste=on_paste>{draft}</textarea>
            <button type="submit">{t!(i18n, send)}</button>
        </form>
    }
}
