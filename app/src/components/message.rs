//! One message as a chat app shows it, for every media kind of the protocol. Nothing a peer
//! sends becomes markup: text is text (Leptos escapes it), and a URL becomes an `href` or
//! `src` only if it passes the same rule the server enforces ([`is_allowed_url`]), so a
//! `javascript:` link can never render, even from an old or foreign row.

use super::basics::shown_name;
use super::lightbox::{FullImage, LightboxContext};
use crate::i18n::{t, td_string, use_i18n, Locale};
use crate::ids::UserId;
use crate::locale::{clock_time, use_clock};
use crate::protocol::body::Media;
use crate::protocol::frame::Frame;
use crate::protocol::{is_allowed_url, User};
use crate::state::upload::{fit, voice_width};
use leptos::{html, prelude::*};

/// `rel` for links that leave Parley: no access to this page, no referrer, no endorsement.
const EXTERNAL: &str = "noopener noreferrer nofollow";

/// A URL fit for `href`/`src`, or `None`.
fn safe(url: &str) -> Option<String> {
    (!url.is_empty() && is_allowed_url(url)).then(|| url.to_owned())
}

/// A piece of a text message: plain text, or a link to show as one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Shown as it is (line breaks kept by CSS).
    Text(String),
    /// An `http(s)://` address that passes the URL rule, shown as a link.
    Link(String),
}

/// Splits text into plain runs and links, keeping every character (whitespace included).
pub fn pieces(text: &str) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    let push_text = |out: &mut Vec<Piece>, s: &str| match out.last_mut() {
        Some(Piece::Text(t)) => t.push_str(s),
        _ => out.push(Piece::Text(s.to_owned())),
    };
    let mut rest = text;
    while !rest.is_empty() {
        let ws = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, tail) = rest.split_at(ws);
        let lower = word.to_ascii_lowercase();
        // Trailing punctuation usually ends the sentence, not the address.
        let trimmed = word.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '"', '\'']);
        if (lower.starts_with("http://") || lower.starts_with("https://"))
            && is_allowed_url(trimmed)
        {
            out.push(Piece::Link(trimmed.to_owned()));
            push_text(&mut out, &word[trimmed.len()..]);
        } else {
            push_text(&mut out, word);
        }
        let wend = tail
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(tail.len());
        let (space, next) = tail.split_at(wend);
        push_text(&mut out, space);
        rest = next;
    }
    out.retain(|p| !matches!(p, Piece::Text(t) if t.is_empty()));
    out
}

/// Splits text into runs, marking each `@name` (an `@` at a word's start, up to the next
/// space) of a message that mentions someone, so it shows highlighted.
pub fn mention_spans(text: &str) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut plain = String::new();
    let mut chars = text.char_indices().peekable();
    let mut prev_space = true;
    while let Some((i, c)) = chars.next() {
        if c == '@' && prev_space {
            let rest = &text[i + 1..];
            let len = rest.find(char::is_whitespace).unwrap_or(rest.len());
            if len > 0 {
                if !plain.is_empty() {
                    out.push((std::mem::take(&mut plain), false));
                }
                out.push((text[i..i + 1 + len].to_owned(), true));
                while chars.peek().is_some_and(|(j, _)| *j < i + 1 + len) {
                    chars.next();
                }
                prev_space = false;
                continue;
            }
        }
        prev_space = c.is_whitespace();
        plain.push(c);
    }
    if !plain.is_empty() {
        out.push((plain, false));
    }
    out
}

/// A one-line summary of a message for the conversation list.
pub fn preview(locale: Locale, frame: &Frame) -> String {
    let short = |s: &str| {
        let mut t: String = s.chars().take(60).collect();
        if s.chars().count() > 60 {
            t.push('…');
        }
        t.replace(['\n', '\r'], " ")
    };
    if frame.recalled_by != 0 {
        return td_string!(locale, quote_recalled).to_owned();
    }
    match Media::from_code(frame.media) {
        Some(Media::Text) | Some(Media::Emoji) => short(&frame.content),
        Some(Media::News) => format!(
            "{} {}",
            td_string!(locale, kind_news),
            short(&frame.content)
        ),
        Some(Media::Voice) => format!("{} {}\"", td_string!(locale, kind_voice), frame.amount),
        Some(Media::Image) => td_string!(locale, kind_image).to_owned(),
        Some(Media::RedPacket) => {
            format!(
                "{} {}",
                td_string!(locale, kind_red_packet),
                short(&frame.memo)
            )
        }
        Some(Media::Link) => format!("{} {}", td_string!(locale, kind_link), short(&frame.url)),
        Some(Media::Video) => td_string!(locale, kind_video).to_owned(),
        Some(Media::Contact) => {
            format!(
                "{} {}",
                td_string!(locale, kind_contact),
                short(&frame.memo)
            )
        }
        Some(Media::Custom) | None => td_string!(locale, kind_message).to_owned(),
    }
}

/// Cents as money: `888` -> `8.88`.
pub fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, (cents % 100).abs())
}

/// The largest box an image message shows in, in CSS pixels (width, height).
const IMAGE_BOX: (u32, u32) = (260, 260);
/// The largest box a video message shows in.
const VIDEO_BOX: (u32, u32) = (300, 240);

/// The inline size of a picture or video of `width`×`height` pixels inside `max`: its width
/// and aspect ratio (CSS shrinks it further in a narrow bubble, keeping the ratio). `None`
/// when the message does not say its size.
fn sized(width: u32, height: u32, max: (u32, u32)) -> Option<String> {
    fit(width, height, max.0, max.1).map(|(w, h)| format!("width:{w}px;aspect-ratio:{w}/{h}"))
}

/// A voice note: a play/pause button, the note's length and a real `<audio>` underneath
/// (with its own controls until the page's script runs). Longer notes draw longer bubbles.
#[component]
fn VoiceNote(
    /// The recording, if its URL passes the rule.
    src: Option<String>,
    /// Its length in seconds.
    seconds: i64,
) -> impl IntoView {
    let i18n = use_i18n();
    let audio = NodeRef::<html::Audio>::new();
    let live = RwSignal::new(false);
    Effect::new(move |_| live.set(true));
    let playing = RwSignal::new(false);
    let toggle = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(a) = audio.get() {
            if a.paused() {
                let _ = a.play();
            } else {
                let _ = a.pause();
            }
        }
    };
    let label = move || {
        let l = i18n.get_locale();
        if playing.get() {
            td_string!(l, pause_voice)
        } else {
            td_string!(l, play_voice)
        }
    };
    let style = format!("min-width:{}px", voice_width(seconds));
    view! {
        <div class="voice" class:playing=move || playing.get() style=style
            role="group" aria-label=move || td_string!(i18n.get_locale(), voice_note)>
            <button type="button" class="voice-play" hidden=move || !live.get() aria-label=label on:click=toggle>
                <span aria-hidden="true">{move || if playing.get() { "❚❚" } else { "▶" }}</span>
            </button>
            <span class="voice-wave" aria-hidden="true"><i></i><i></i><i></i><i></i><i></i></span>
            <span class="duration">{format!("{seconds}\"")}</span>
            <audio preload="none" src=src node_ref=audio controls=move || !live.get()
                on:play=move |_| playing.set(true) on:pause=move |_| playing.set(false)
                on:ended=move |_| playing.set(false)></audio>
        </div>
    }
}

/// What a bubble may do inside an open conversation (provided by the conversation view; a
/// bubble without it, as in a no-JavaScript page, only shows).
#[derive(Clone, Copy)]
pub struct BubbleContext {
    /// Everyone whose name a bubble may show (reactions, quotes, recalls).
    pub people: RwSignal<Vec<User>>,
    /// Toggles my reaction with this emoji on the message at this seq.
    pub toggle_reaction: Callback<(i64, String)>,
    /// Shows the message at this seq (a quote was clicked).
    pub jump: Callback<i64>,
}

/// A person's display name from a list (see [`shown_name`]), or `#id` when unknown.
pub fn name_in(locale: Locale, people: &[User], id: i64) -> String {
    people
        .iter()
        .find(|u| u.id.0 == id)
        .map_or_else(|| format!("#{id}"), |u| shown_name(locale, &u.nickname))
}

/// The quoted preview of the message a reply names: who, and its first line (or its kind,
/// or that it was recalled); a button that shows the original when there is a list to show
/// it in.
fn quote_view(locale: Locale, q: &crate::protocol::action::Quote) -> impl IntoView {
    let ctx = use_context::<BubbleContext>();
    let id = q.userid.0;
    let who = move || {
        ctx.map_or_else(
            || format!("#{id}"),
            |c| c.people.with(|p| name_in(locale, p, id)),
        )
    };
    let text = if q.recalled {
        td_string!(locale, quote_recalled).to_owned()
    } else if q.content.is_empty() {
        let f = Frame {
            media: q.media,
            ..Frame::default()
        };
        preview(locale, &f)
    } else {
        q.content.clone()
    };
    let seq = q.seq.0;
    let jump = move |_| {
        if let Some(c) = ctx {
            c.jump.run(seq);
        }
    };
    view! {
        <button type="button" class="quote" class:recalled=q.recalled data-target=seq
            title=td_string!(locale, show_original) on:click=jump>
            <span class="quote-who"><bdi>{who}</bdi></span>
            <span class="quote-text">{text}</span>
        </button>
    }
}

/// The reaction chips under a bubble: emoji and count, mine highlighted and pressed, who
/// reacted in the title; a click toggles mine.
fn reactions_view(locale: Locale, f: &Frame, me: UserId) -> impl IntoView {
    let ctx = use_context::<BubbleContext>();
    let seq = f.seq;
    let chips = f
        .reactions
        .iter()
        .map(|r| {
            let emoji = r.emoji.clone();
            let mine = r.users.contains(&me);
            let count = r.users.len();
            let users = r.users.clone();
            let names = move || {
                ctx.map(|c| {
                    c.people.with(|p| {
                        users
                            .iter()
                            .map(|u| name_in(locale, p, u.0))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                })
                .unwrap_or_default()
            };
            let shown = emoji.clone();
            let label_emoji = emoji.clone();
            let label = move || {
                td_string!(locale, reaction_label, emoji = label_emoji.clone(), count = count, names = names())
                    .to_string()
            };
            let toggle = move |_| {
                if let Some(c) = ctx {
                    c.toggle_reaction.run((seq, emoji.clone()));
                }
            };
            view! {
                <button type="button" class="chip" class:mine=mine aria-pressed=mine.to_string()
                    title=label.clone() data-who=label.clone() aria-label=label on:click=toggle>
                    <span class="chip-emoji">{shown}</span>" "<span class="chip-count">{count}</span>
                </button>
            }
        })
        .collect_view();
    (!f.reactions.is_empty()).then(|| view! { <div class="reactions">{chips}</div> })
}

/// How long a finger rests on a bubble before its menu opens.
const LONG_PRESS_MS: u64 = 500;
/// How far a resting finger may drift (a scroll is not a long press), in CSS pixels.
const LONG_PRESS_SLOP_PX: i32 = 10;

/// A long press (touch) or a right click (mouse) on a bubble opens its "More actions" menu,
/// as in the chat apps people know; a long press on a reaction lists who reacted. The menu's button (`.msg-menu .more`) does the opening;
/// a right click on a link, a picture, a player or selected text keeps the browser's own menu.
#[derive(Clone, Copy)]
struct MenuGestures {
    /// The running long-press timer, with where the finger went down.
    pending: StoredValue<Option<(TimeoutHandle, i32, i32)>>,
    /// A long press opened the menu: the touch that ends it must not click what it rests on.
    fired: StoredValue<bool>,
    /// The last pointer to go down was a finger (its `contextmenu` is the long press's).
    touch: StoredValue<bool>,
}

impl MenuGestures {
    fn new() -> MenuGestures {
        MenuGestures {
            pending: StoredValue::new(None),
            fired: StoredValue::new(false),
            touch: StoredValue::new(false),
        }
    }

    /// Clicks the row's menu button, unless its menu is open already.
    fn open(li: Option<web_sys::HtmlElement>) {
        use leptos::wasm_bindgen::JsCast;
        let button = li
            .and_then(|li| li.query_selector(".msg-menu .more").ok().flatten())
            .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(b) = button {
            if b.get_attribute("aria-expanded").as_deref() != Some("true") {
                b.click();
            }
        }
    }

    fn cancel(self) {
        if let Some((handle, _, _)) = self.pending.try_update_value(Option::take).flatten() {
            handle.clear();
        }
    }

    fn down(self, ev: &web_sys::PointerEvent, li: NodeRef<html::Li>) {
        use leptos::wasm_bindgen::JsCast;
        self.cancel();
        self.fired.set_value(false);
        let touch = ev.pointer_type() == "touch";
        self.touch.set_value(touch);
        // A touch anywhere on the row puts away a list of who reacted.
        if let Some(shown) = li
            .get_untracked()
            .and_then(|li| li.query_selector(".chip.show-who").ok().flatten())
        {
            let _ = shown.class_list().remove_1("show-who");
        }
        if !touch {
            return;
        }
        // A long press on a reaction lists who reacted (hover shows it with a mouse); on the
        // rest of the bubble it opens the menu.
        let chip = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest(".chip").ok().flatten());
        let fired = self.fired;
        let handle = set_timeout_with_handle(
            move || {
                fired.set_value(true);
                match &chip {
                    Some(chip) => {
                        let _ = chip.class_list().add_1("show-who");
                    }
                    None => MenuGestures::open(li.get_untracked().map(Into::into)),
                }
            },
            std::time::Duration::from_millis(LONG_PRESS_MS),
        );
        if let Ok(handle) = handle {
            self.pending
                .set_value(Some((handle, ev.client_x(), ev.client_y())));
        }
    }

    fn moved(self, ev: &web_sys::PointerEvent) {
        let far = self.pending.with_value(|p| {
            p.is_some_and(|(_, x, y)| {
                (ev.client_x() - x).abs() > LONG_PRESS_SLOP_PX
                    || (ev.client_y() - y).abs() > LONG_PRESS_SLOP_PX
            })
        });
        if far {
            self.cancel();
        }
    }

    fn context_menu(self, ev: &web_sys::MouseEvent, li: NodeRef<html::Li>) {
        use leptos::wasm_bindgen::JsCast;
        if self.touch.get_value() {
            // The finger's own menu: ours opens (or has opened) instead.
            ev.prevent_default();
            return;
        }
        let on_media = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("a, img, video, audio").ok().flatten())
            .is_some();
        let selected = web_sys::window()
            .and_then(|w| w.get_selection().ok().flatten())
            .is_some_and(|s| !s.is_collapsed());
        if on_media || selected {
            return;
        }
        ev.prevent_default();
        MenuGestures::open(li.get_untracked().map(Into::into));
    }

    fn touch_end(self, ev: &web_sys::TouchEvent) {
        self.cancel();
        if self.fired.get_value() {
            // No click on the picture or link under the finger after its menu opened.
            ev.prevent_default();
            self.fired.set_value(false);
        }
    }
}

/// One message bubble: mine on the right, theirs on the left; in groups, theirs carry the
/// sender's name and avatar. A recalled message is one line saying who recalled it.
#[component]
pub fn MessageView(
    /// The stored message (cmd 10/11).
    frame: Frame,
    /// Who is reading.
    me: UserId,
    /// The sender, when known (groups show name and avatar).
    #[prop(default = None)]
    sender: Option<User>,
    /// True in group conversations.
    #[prop(optional)]
    in_group: bool,
    /// The bubble's "More actions" menu, when it has one.
    #[prop(default = None)]
    menu: Option<ViewFn>,
    /// Continues a run of the same sender's messages: no name, less space above.
    #[prop(optional)]
    cont: bool,
    /// Ends its run (or stands alone): carries the avatar and the time.
    #[prop(default = true)]
    ends: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let mine = frame.userid == me.0;
    if frame.recalled_by != 0 {
        let by = frame.recalled_by;
        let ctx = use_context::<BubbleContext>();
        let line = move || {
            let locale = i18n.get_locale();
            if by == me.0 {
                td_string!(locale, recalled_you).to_string()
            } else {
                let known = ctx.and_then(|c| {
                    c.people.with(|p| {
                        p.iter()
                            .find(|u| u.id.0 == by)
                            .map(|u| shown_name(locale, &u.nickname))
                    })
                });
                let name = known
                    .or_else(|| {
                        sender
                            .as_ref()
                            .filter(|u| u.id.0 == by)
                            .map(|u| shown_name(locale, &u.nickname))
                    })
                    .unwrap_or_else(|| format!("#{by}"));
                td_string!(locale, recalled_by, name = name).to_string()
            }
        };
        return view! {
            <li class="msg-recalled" role="note" data-seq=frame.seq>{line}</li>
        }
        .into_any();
    }
    let ts = frame.ts;
    let time = (ts > 0).then(|| {
        let clock = use_clock();
        let shown = move || {
            clock
                .map(|c| clock_time(ts, c.offset_min.get()))
                .unwrap_or_default()
        };
        view! { <time class="msg-time">{shown}</time> }
    });
    let side = if mine { "msg mine" } else { "msg theirs" };
    // In a group, a run of one sender's messages is named once, at its top, and shows the
    // avatar once, beside its last message (the others keep its room).
    let who = (in_group && !mine).then(|| {
        let name = sender.as_ref().map_or_else(
            || format!("#{}", frame.userid),
            |u| shown_name(locale, &u.nickname),
        );
        let avatar = match (&sender, ends) {
            (Some(user), true) => {
                let user = user.clone();
                view! { <super::basics::Avatar user/> }.into_any()
            }
            _ => view! { <span class="avatar-room" aria-hidden="true"></span> }.into_any(),
        };
        ((!cont).then_some(name), Some(avatar))
    });
    let (name, avatar) = match who {
        Some((n, a)) => (n, a),
        None => (None, None),
    };
    let kind = Media::from_code(frame.media);
    let body_class = match kind {
        Some(Media::Text) => "bubble text",
        Some(Media::Emoji) => "bubble emoji",
        _ => "bubble media",
    };
    let quote = frame.quote.as_ref().map(|q| quote_view(locale, q));
    let forwarded = frame
        .forwarded
        .then(|| view! { <span class="forwarded">{td_string!(locale, forwarded)}</span> });
    let edited = (frame.edited > 0)
        .then(|| view! { <span class="edited">{td_string!(locale, edited)}</span> });
    let reactions = reactions_view(locale, &frame, me);
    let pinned = frame.pinned_at > 0;
    let has_menu = menu.is_some();
    let li = NodeRef::<html::Li>::new();
    let gestures = MenuGestures::new();
    view! {
        <li class=side class:pinned=pinned class:cont=cont class:ends=ends data-seq=frame.seq data-media=frame.media
            node_ref=li
            on:pointerdown=move |ev| if has_menu { gestures.down(&ev, li) }
            on:pointermove=move |ev| gestures.moved(&ev)
            on:pointerup=move |_| gestures.cancel()
            on:pointercancel=move |_| gestures.cancel()
            on:contextmenu=move |ev| if has_menu { gestures.context_menu(&ev, li) }
            on:touchend=move |ev| gestures.touch_end(&ev)>
            {avatar}
            <div class="msg-body">
                {name.map(|n| view! { <span class="sender"><bdi>{n}</bdi></span> })}
                <div class="bubble-row">
                    <div class=body_class>
                        {forwarded}
                        {quote}
                        {content(locale, &frame, me)}
                        {edited}
                    </div>
                    {menu.map(|m| m.run())}
                </div>
                {reactions}
                <span class="msg-meta">{time}</span>
            </div>
        </li>
    }
    .into_any()
}

/// The body of a message by its media kind.
fn content(locale: Locale, f: &Frame, me: UserId) -> AnyView {
    match Media::from_code(f.media) {
        Some(Media::Text) => pieces(&f.content)
            .into_iter()
            .map(|p| match p {
                Piece::Text(t) if !f.mentions.is_empty() => mention_spans(&t)
                    .into_iter()
                    .map(|(text, mention)| {
                        if mention {
                            view! { <span class="mention">{text}</span> }.into_any()
                        } else {
                            text.into_any()
                        }
                    })
                    .collect_view()
                    .into_any(),
                Piece::Text(t) => t.into_any(),
                Piece::Link(url) => {
                    let shown = url.clone();
                    view! { <a href=url target="_blank" rel=EXTERNAL>{shown}</a> }.into_any()
                }
            })
            .collect_view()
            .into_any(),
        Some(Media::Emoji) => view! { <span class="emoji-big">{f.content.clone()}</span> }.into_any(),
        Some(Media::News) => view! {
            <a class="news" href=safe(&f.url) target="_blank" rel=EXTERNAL>
                {safe(&f.pic).map(|src| view! { <img src=src alt="" loading="lazy"/> })}
                <strong>{f.content.clone()}</strong>
                {(!f.memo.is_empty()).then(|| view! { <p>{f.memo.clone()}</p> })}
            </a>
        }
        .into_any(),
        Some(Media::Voice) => view! { <VoiceNote src=safe(&f.url) seconds=f.amount/> }.into_any(),
        Some(Media::Image) => {
            let original = safe(&f.url);
            let full = original.clone().or_else(|| safe(&f.pic));
            let thumb = safe(&f.pic).or_else(|| full.clone());
            // With script, the full view opens in the page; a plain or modified click
            // without it (or a new-tab click) follows the link.
            let lightbox = use_context::<LightboxContext>();
            let shown = full.clone();
            let open = move |ev: leptos::ev::MouseEvent| {
                let plain = ev.button() == 0
                    && !(ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key());
                if let (Some(LightboxContext(image)), Some(src), true) =
                    (lightbox, shown.clone(), plain)
                {
                    ev.prevent_default();
                    image.set(Some(FullImage {
                        src,
                        original: original.clone(),
                    }));
                }
            };
            // The picture's box is reserved from its size, so the list does not jump as it
            // loads.
            view! {
                <a class="image" href=full target="_blank" rel=EXTERNAL on:click=open>
                    <img src=thumb alt=td_string!(locale, image) loading="lazy" style=sized(f.width, f.height, IMAGE_BOX)/>
                </a>
            }
            .into_any()
        }
        Some(Media::RedPacket) => view! {
            <div class="red-packet">
                <span class="icon" aria-hidden="true">"🧧"</span>
                <div>
                    <strong>{if f.memo.is_empty() { td_string!(locale, best_wishes).to_owned() } else { f.memo.clone() }}</strong>
                    <span class="amount">{format!("¥{}", money(f.amount))}</span>
                </div>
            </div>
        }
        .into_any(),
        Some(Media::Link) => view! {
            <a class="link-card" href=safe(&f.url) target="_blank" rel=EXTERNAL>
                <span class="link-icon" aria-hidden="true">"🔗"</span>
                <span class="link-url">{f.url.clone()}</span>
            </a>
        }
        .into_any(),
        Some(Media::Video) => view! {
            <video controls preload="none" playsinline poster=safe(&f.pic) src=safe(&f.url)
                aria-label=td_string!(locale, video) style=sized(f.width, f.height, VIDEO_BOX)></video>
        }
        .into_any(),
        Some(Media::Contact) => {
            let id = f.content.parse::<i64>().ok().map(UserId);
            let name = if f.memo.is_empty() { f.content.clone() } else { f.memo.clone() };
            let action = id.filter(|id| *id != me).map(|id| view! { <ContactAction id/> });
            view! {
                <div class="contact-card">
                    {match safe(&f.pic) {
                        Some(src) => view! { <img class="avatar" src=src alt=""/> }.into_any(),
                        None => view! {
                            <span class="avatar" aria-hidden="true">
                                {name.chars().next().map(|c| c.to_uppercase().collect::<String>())}
                            </span>
                        }
                        .into_any(),
                    }}
                    <div class="who">
                        <span class="nickname"><bdi>{name.clone()}</bdi></span>
                        <span class="username">{td_string!(locale, contact_card)}</span>
                    </div>
                    {action}
                </div>
            }
            .into_any()
        }
        Some(Media::Custom) | None => view! {
            <div class="custom"><span class="muted">{td_string!(locale, custom_message)}</span><code>{f.content.clone()}</code></div>
        }
        .into_any(),
    }
}

/// A contact card's one action: open the person's profile sheet, where Message, Add friend
/// (a request) and Block are; a stray tap on a card never acts by itself.
#[component]
fn ContactAction(id: UserId) -> impl IntoView {
    let Some(shell) = super::shell::use_shell() else {
        return ().into_any();
    };
    let i18n = use_i18n();
    view! {
        <button type="button" class="small secondary" on:click=move |_| shell.profile.set(Some(id))>
            {t!(i18n, view_profile)}
        </button>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_keeps_every_character_and_links_only_safe_urls() {
        let text =
            "see https://example.com/a?b=1, and\nnext line javascript:alert(1)  http://x.org.";
        let p = pieces(text);
        assert_eq!(
            p,
            [
                Piece::Text("see ".into()),
                Piece::Link("https://example.com/a?b=1".into()),
                Piece::Text(", and\nnext line javascript:alert(1)  ".into()),
                Piece::Link("http://x.org".into()),
                Piece::Text(".".into()),
            ]
        );
        let joined: String = p
            .iter()
            .map(|x| match x {
                Piece::Text(t) | Piece::Link(t) => t.as_str(),
            })
            .collect();
        assert_eq!(joined, text);
        // Userinfo and bidi tricks stay text.
        assert!(pieces("http://bank@evil.com/")
            .iter()
            .all(|x| matches!(x, Piece::Text(_))));
        assert_eq!(pieces(""), []);
    }

    #[test]
    fn mentions_are_marked_where_they_start_a_word() {
        assert_eq!(
            mention_spans("hi @张伟 and @bob! mail@x"),
            vec![
                ("hi ".to_owned(), false),
                ("@张伟".to_owned(), true),
                (" and ".to_owned(), false),
                ("@bob!".to_owned(), true),
                (" mail@x".to_owned(), false),
            ]
        );
        assert_eq!(mention_spans("@"), vec![("@".to_owned(), false)]);
    }

    #[test]
    fn previews_and_money() {
        let f = |media: u16, content: &str| Frame {
            cmd: 10,
            media,
            content: content.into(),
            amount: 5,
            memo: "恭喜发财".into(),
            ..Frame::default()
        };
        assert_eq!(preview(Locale::en, &f(1, "hi\nthere")), "hi there");
        assert_eq!(preview(Locale::en, &f(3, "")), "[Voice] 5\"");
        assert_eq!(preview(Locale::en, &f(5, "")), "[Red packet] 恭喜发财");
        assert_eq!(preview(Locale::zh_CN, &f(5, "")), "[红包] 恭喜发财");
        assert!(preview(Locale::en, &f(1, &"x".repeat(100))).ends_with('…'));
        assert_eq!(money(888), "8.88");
        assert_eq!(money(5), "0.05");
    }

    #[test]
    fn pictures_reserve_a_capped_box() {
        assert_eq!(
            sized(4000, 3000, IMAGE_BOX).as_deref(),
            Some("width:260px;aspect-ratio:260/195")
        );
        assert_eq!(
            sized(1280, 720, VIDEO_BOX).as_deref(),
            Some("width:300px;aspect-ratio:300/168")
        );
        assert_eq!(sized(0, 0, IMAGE_BOX), None);
    }
}
