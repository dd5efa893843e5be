//! The composer itself: the tools row above a plain form (`POST /send`) that works without
//! JavaScript. With the page's script the form sends over the socket instead, keeps a draft
//! per conversation, sends pasted pictures and tells the other side I am typing.

use super::attachments::Attachments;
use super::draft;
use super::mentions::{everyone, matches, still_mentioned, typed_mention, MentionList, Suggest};
use super::outbox::{new_cid, Outbox};
use super::tools::ComposerTools;
use crate::components::basics::ErrorText;
use crate::components::message::{name_in, preview};
use crate::i18n::{t, td_string, use_i18n};
use crate::ids::Seq;
use crate::ids::{Cid, UserId};
use crate::locale::now_ms;
use crate::protocol::action::Quote;
use crate::protocol::body::{Media, MessageBody};
use crate::protocol::frame::{ClientCmd, Extras, Frame, TypingTo};
use crate::protocol::{Conv, User};
use crate::state::timeline::Decor;
use crate::ws::use_socket;
use leptos::{html, prelude::*};
use leptos_router::hooks::use_query_map;

/// How often typing is signalled while keys are pressed.
const TYPING_EVERY_MS: i64 = 3000;

/// What the composer is doing besides writing a new message.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum ComposeMode {
    /// A new message.
    #[default]
    Plain,
    /// A reply to this message.
    Reply(Frame),
    /// Editing this message of mine.
    Edit(Frame),
}

/// What the conversation lends the composer for replies, edits and mentions.
#[derive(Clone, Copy)]
pub struct ComposeHooks {
    /// Replying to or editing a message (set by a bubble's menu, cleared by the composer).
    pub mode: RwSignal<ComposeMode>,
    /// Stores an edit of my message at this seq.
    pub edit: Callback<(Seq, String)>,
    /// My newest message I may still edit (Up arrow in an empty composer).
    pub last_mine: Callback<(), Option<Frame>>,
    /// Names of the people on screen (the reply bar names whom I answer).
    pub people: RwSignal<Vec<User>>,
    /// Why my last action was refused.
    pub error: RwSignal<Option<crate::error::ApiError>>,
    /// Whether I may mention everyone (a group's owner).
    pub may_mention_all: Callback<(), bool>,
    /// Who is writing (left out of the mention list).
    pub me: UserId,
}

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
    /// Replies, edits and mentions.
    compose: ComposeHooks,
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
    let mode = compose.mode;
    let suggest = RwSignal::new(None::<Suggest>);
    let picked = StoredValue::new(Vec::<(UserId, String)>::new());
    let members = RwSignal::new(Vec::<User>::new());
    let members_asked = StoredValue::new(false);
    // Sends a message: a reply names what it answers, a group message whom it mentions.
    let send_body = move |body: MessageBody| {
        let text = body.content.clone();
        let reply = match mode.get_untracked() {
            ComposeMode::Reply(f) => Some(f),
            _ => None,
        };
        let mentions = picked.with_value(|p| still_mentioned(&text, p));
        let cid_now = cid.get_untracked();
        if reply.is_none() && mentions.is_empty() {
            outbox.send(cid_now, body);
        } else {
            let quote = reply.as_ref().map(|f| {
                let media = Media::from_code(f.media).unwrap_or(Media::Text);
                Quote::of(Seq(f.seq), UserId(f.userid), media, &f.content)
            });
            let extras = Extras {
                reply_to: reply.as_ref().map(|f| Seq(f.seq)),
                mentions: mentions.iter().map(|id| UserId(*id)).collect(),
                forward_of: None,
            };
            let decor = Decor {
                quote,
                mentions,
                forwarded: false,
            };
            outbox.send_with(cid_now, body, extras, decor);
        }
        picked.set_value(Vec::new());
        mode.set(ComposeMode::Plain);
        cid.set(new_cid());
    };
    // Editing puts the message's text in the box; leaving the mode gives the box back.
    Effect::new(move |was_editing: Option<bool>| {
        let editing = mode.with(|m| matches!(m, ComposeMode::Edit(_)));
        if let Some(area) = textarea.get_untracked() {
            if let ComposeMode::Edit(f) = mode.get_untracked() {
                area.set_value(&f.content);
            } else if was_editing == Some(true) {
                area.set_value(&draft::load(conv).unwrap_or_default());
            }
            if mode.with_untracked(|m| *m != ComposeMode::Plain) {
                let _ = area.focus();
            }
        }
        editing
    });
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
        if let ComposeMode::Edit(f) = mode.get_untracked() {
            if text.trim_end() != f.content {
                compose.edit.run((Seq(f.seq), text));
            }
            area.set_value(&draft::load(conv).unwrap_or_default());
            mode.set(ComposeMode::Plain);
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
    // Opening a conversation puts the caret in its composer, where a pointer and a keyboard
    // are at hand (a touch screen would throw its keyboard over the messages instead).
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(area) = textarea.get() {
            let fine = web_sys::window()
                .and_then(|w| w.match_media("(pointer: fine)").ok().flatten())
                .is_some_and(|m| m.matches());
            if fine {
                let _ = area.focus();
            }
        }
    });
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
    let pick = Callback::new(move |u: User| {
        let (Some(area), Some(s)) = (textarea.get_untracked(), suggest.get_untracked()) else {
            return;
        };
        let text = area.value();
        let caret = caret_of(&area, &text);
        let (head, tail) = (&text[..s.at], &text[caret.min(text.len())..]);
        let inserted = format!("@{} ", u.nickname);
        area.set_value(&format!("{head}{inserted}{tail}"));
        let at = u32::try_from(head.encode_utf16().count() + inserted.encode_utf16().count())
            .unwrap_or(0);
        let _ = area.set_selection_range(at, at);
        picked.update_value(|p| p.push((u.id, u.nickname.clone())));
        suggest.set(None);
        draft::save(conv, &area.value());
    });
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.is_composing() {
            return;
        }
        // The mention list, while open, takes the arrows, Enter, Tab and Escape.
        if let Some(s) = suggest.get_untracked() {
            let n = s.people.len();
            match ev.key().as_str() {
                "ArrowDown" | "ArrowUp" if n > 0 => {
                    ev.prevent_default();
                    let down = ev.key() == "ArrowDown";
                    suggest.update(|s| {
                        if let Some(s) = s {
                            s.index = if down {
                                (s.index + 1) % n
                            } else {
                                (s.index + n - 1) % n
                            };
                        }
                    });
                    return;
                }
                "Enter" | "Tab" if n > 0 => {
                    ev.prevent_default();
                    if let Some(u) = s.people.get(s.index) {
                        pick.run(u.clone());
                    }
                    return;
                }
                "Escape" => {
                    ev.prevent_default();
                    suggest.set(None);
                    return;
                }
                _ => {}
            }
        }
        match ev.key().as_str() {
            "Enter" if !ev.shift_key() => {
                ev.prevent_default();
                if let Some(f) = form.get() {
                    let _ = f.request_submit();
                }
            }
            "Escape" if mode.with_untracked(|m| *m != ComposeMode::Plain) => {
                ev.prevent_default();
                mode.set(ComposeMode::Plain);
            }
            // Up in an empty box edits my last message, as in Telegram and Slack.
            "ArrowUp"
                if mode.with_untracked(|m| *m == ComposeMode::Plain)
                    && textarea
                        .get_untracked()
                        .is_some_and(|a| a.value().is_empty()) =>
            {
                if let Some(f) = compose.last_mine.run(()) {
                    ev.prevent_default();
                    mode.set(ComposeMode::Edit(f));
                }
            }
            _ => {}
        }
    };
    // In a group, `@` and a few letters list the members to mention.
    let update_suggest = move || {
        let (Conv::Group(group), Some(area)) = (conv, textarea.get_untracked()) else {
            return;
        };
        let text = area.value();
        let Some((at, query)) = typed_mention(&text, caret_of(&area, &text)) else {
            suggest.set(None);
            return;
        };
        if !members_asked.get_value() {
            members_asked.set_value(true);
            leptos::task::spawn_local(async move {
                if let Ok(list) = crate::api::social::group_members(group).await {
                    members.set(list.into_iter().map(|m| m.user).collect());
                }
            });
        }
        let mut people = members.with_untracked(|m| matches(m, &query, compose.me));
        let all = everyone(td_string!(i18n.get_locale_untracked(), mention_everyone));
        if compose.may_mention_all.run(())
            && (query.is_empty() || all.nickname.contains(&query) || "all".contains(&query))
        {
            people.insert(0, all);
        }
        suggest.set((!people.is_empty()).then_some(Suggest {
            at,
            people,
            index: 0,
        }));
    };
    // The member list arrives after the first `@`: the open list fills in then.
    Effect::new(move |_| {
        members.track();
        if suggest.with_untracked(Option::is_some) || members.with(|m| !m.is_empty()) {
            update_suggest();
        }
    });
    // Keeps the draft (per conversation, in this browser) and tells the peer (or the group)
    // I am typing, at most every few seconds.
    let on_input = move |_| {
        update_suggest();
        if let Some(area) = textarea.get_untracked() {
            if mode.with_untracked(|m| !matches!(m, ComposeMode::Edit(_))) {
                draft::save(conv, &area.value());
            }
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
    let bar = move || {
        let locale = i18n.get_locale();
        match mode.get() {
            ComposeMode::Plain => None,
            ComposeMode::Reply(f) => {
                let who = compose.people.with(|p| name_in(locale, p, f.userid));
                Some(view! {
                    <div class="compose-bar" role="status">
                        <div class="compose-what">
                            <strong>{td_string!(locale, replying_to, name = who).to_string()}</strong>
                            <span class="compose-quote">{preview(locale, &f)}</span>
                        </div>
                        <button type="button" class="icon" aria-label=td_string!(locale, cancel_reply)
                            on:click=move |_| mode.set(ComposeMode::Plain)>"×"</button>
                    </div>
                }.into_any())
            }
            ComposeMode::Edit(f) => Some(view! {
                <div class="compose-bar editing" role="status">
                    <div class="compose-what">
                        <strong>{td_string!(locale, editing_message)}</strong>
                        <span class="compose-quote">{preview(locale, &f)}</span>
                    </div>
                    <button type="button" class="icon" aria-label=td_string!(locale, cancel_edit)
                        on:click=move |_| mode.set(ComposeMode::Plain)>"×"</button>
                </div>
            }.into_any()),
        }
    };
    let action_error = compose.error;
    view! {
        <ComposerTools textarea send=Callback::new(send_body) attachments/>
        {bar}
        <MentionList suggest pick/>
        <form class="composer" method="post" action="/send" node_ref=form on:submit=on_submit>
            {move || error.get().or_else(|| action_error.get()).map(|error| view! { <p class="form-error" role="alert"><ErrorText error/></p> })}
            <input type="hidden" name="conv" value=conv.key()/>
            <input type="hidden" name="cid" value=move || cid.get().to_string()/>
            <textarea name="content" aria-label=move || td_string!(i18n.get_locale(), message) placeholder=move || td_string!(i18n.get_locale(), message) rows="2"
                required maxlength="4000" node_ref=textarea on:keydown=on_keydown on:input=on_input on:paste=on_paste>{draft}</textarea>
            <button type="submit">{t!(i18n, send)}</button>
        </form>
    }
}

/// The caret's byte index in `text` (the textarea counts UTF-16 units).
fn caret_of(area: &web_sys::HtmlTextAreaElement, text: &str) -> usize {
    let units = area
        .selection_start()
        .ok()
        .flatten()
        .map_or(usize::MAX, |u| u as usize);
    let mut seen = 0;
    for (i, c) in text.char_indices() {
        if seen >= units {
            return i;
        }
        seen += c.len_utf16();
    }
    text.len()
}
