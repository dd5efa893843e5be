//! The composer's emoji picker: a button that opens a panel with a search box, the emoji I
//! used recently (kept in this browser) and the full Unicode set from the `emojis` crate,
//! grouped as Unicode groups them. A picked emoji goes into the message at the caret.
//!
//! The set comes as a compact text table that `build.rs` writes from the crate; the panel's
//! ~1,900 buttons exist only while it is open, so closed it costs the page nothing. Searching
//! and the recent list are pure functions, tested natively.

use crate::i18n::{td_string, use_i18n, Locale};
use leptos::{ev, html, prelude::*};
use std::sync::OnceLock;

/// How many recently used emoji are kept and shown.
pub const RECENT_CAP: usize = 24;

/// Where this browser keeps the recently used emoji (a JSON array, most recent first).
const RECENT_KEY: &str = "parley.emoji.recent";

/// `group index, emoji, name, shortcodes` per line, in Unicode's order (see build.rs).
const TABLE: &str = include_str!(concat!(env!("OUT_DIR"), "/emoji.tsv"));

/// Unicode's emoji groups in the table's order: heading, anchor id and the icon of its
/// jump button.
const GROUPS: [(&str, &str, &str); 9] = [
    ("Smileys & emotion", "smileys", "😀"),
    ("People & body", "people", "👋"),
    ("Animals & nature", "animals", "🐻"),
    ("Food & drink", "food", "🍔"),
    ("Travel & places", "travel", "✈️"),
    ("Activities", "activities", "⚽"),
    ("Objects", "objects", "💡"),
    ("Symbols", "symbols", "🔣"),
    ("Flags", "flags", "🏁"),
];

/// Group `i`'s heading in the reader's language.
fn group_name(locale: Locale, i: usize) -> &'static str {
    match i {
        0 => td_string!(locale, emoji_group_0),
        1 => td_string!(locale, emoji_group_1),
        2 => td_string!(locale, emoji_group_2),
        3 => td_string!(locale, emoji_group_3),
        4 => td_string!(locale, emoji_group_4),
        5 => td_string!(locale, emoji_group_5),
        6 => td_string!(locale, emoji_group_6),
        7 => td_string!(locale, emoji_group_7),
        _ => td_string!(locale, emoji_group_8),
    }
}

/// One emoji of the picker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Emoji {
    /// The emoji itself, as it goes into the message.
    pub glyph: &'static str,
    /// Its Unicode name ("grinning face"), which is also its button's accessible name.
    pub name: &'static str,
    /// Space-separated shortcodes ("grinning"), searched too.
    shortcodes: &'static str,
    /// Index into [`GROUPS`].
    group: usize,
    /// The Unicode version that added it, as `major * 100 + minor` (1501 for 15.1).
    version: u32,
}

/// Every emoji, parsed from the table once.
pub fn all() -> &'static [Emoji] {
    static ALL: OnceLock<Vec<Emoji>> = OnceLock::new();
    ALL.get_or_init(|| {
        TABLE
            .lines()
            .filter_map(|line| {
                let mut f = line.split('\t');
                let group = f.next()?.parse().ok()?;
                Some(Emoji {
                    glyph: f.next()?,
                    name: f.next()?,
                    shortcodes: f.next().unwrap_or(""),
                    group,
                    version: f.next().and_then(|v| v.parse().ok()).unwrap_or(0),
                })
            })
            .filter(|e| e.version <= drawable_version())
            .collect()
    })
}

/// Emoji newer than the platform's emoji font show as empty boxes, so the picker offers
/// only those up to the newest Unicode version this browser draws. Found once, by drawing
/// one emoji of each version on a canvas (newest first): a version is drawn when its probe
/// comes out in colour, and for sequence-only versions when the sequence draws as one glyph.
/// Everything is offered where nothing can be measured (the server).
pub fn drawable_version() -> u32 {
    static VERSION: OnceLock<u32> = OnceLock::new();
    *VERSION.get_or_init(|| {
        #[cfg(feature = "hydrate")]
        {
            probe::newest_drawn().unwrap_or(u32::MAX)
        }
        #[cfg(not(feature = "hydrate"))]
        {
            u32::MAX
        }
    })
}

#[cfg(feature = "hydrate")]
mod probe {
    use leptos::wasm_bindgen::JsCast;
    use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

    /// One probe per version, newest first: `(version, emoji, single)`; a `single` probe is
    /// one code point, judged by colour; the others are sequences, judged by width.
    const PROBES: [(u32, &str, bool); 9] = [
        (1600, "\u{1FAE9}", true),                   // face with bags under eyes
        (1501, "\u{1F34B}\u{200D}\u{1F7E9}", false), // lime
        (1500, "\u{1FAE8}", true),                   // shaking face
        (1400, "\u{1FAE0}", true),                   // melting face
        (1301, "\u{2764}\u{FE0F}\u{200D}\u{1F525}", false), // heart on fire
        (1300, "\u{1F972}", true),                   // smiling face with tear
        (1200, "\u{1F971}", true),                   // yawning face
        (1100, "\u{1F970}", true),                   // smiling face with hearts
        (600, "\u{1F600}", true),                    // grinning face
    ];
    const SIZE: u32 = 32;

    pub fn newest_drawn() -> Option<u32> {
        let doc = web_sys::window()?.document()?;
        let canvas: HtmlCanvasElement = doc.create_element("canvas").ok()?.dyn_into().ok()?;
        canvas.set_width(SIZE * 3);
        canvas.set_height(SIZE);
        let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
        ctx.set_font(&format!(
            "{}px \"Apple Color Emoji\", \"Segoe UI Emoji\", \"Noto Color Emoji\", sans-serif",
            SIZE - 4
        ));
        ctx.set_text_baseline("top");
        let one = ctx.measure_text("\u{1F600}").ok()?.width();
        for (version, emoji, single) in PROBES {
            let drawn = if single {
                coloured(&ctx, emoji)
            } else {
                ctx.measure_text(emoji)
                    .ok()
                    .is_some_and(|m| m.width() < one * 1.5)
            };
            if drawn {
                return Some(version);
            }
        }
        None
    }

    /// Whether `emoji` draws with colour (a missing glyph is a black or empty box).
    fn coloured(ctx: &CanvasRenderingContext2d, emoji: &str) -> bool {
        let side = f64::from(SIZE);
        ctx.clear_rect(0.0, 0.0, side * 3.0, side);
        let _ = ctx.fill_text(emoji, 0.0, 0.0);
        let Ok(data) = ctx.get_image_data(0.0, 0.0, side, side) else {
            return false;
        };
        data.data().chunks(4).any(|p| {
            let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
            p[3] > 0 && ((r - g).abs() > 40 || (g - b).abs() > 40 || (r - b).abs() > 40)
        })
    }
}

/// The emoji of group `group` (an index into [`GROUPS`]).
fn in_group(group: usize) -> Vec<Emoji> {
    all().iter().filter(|e| e.group == group).copied().collect()
}

/// The emoji matching a query, best first: every word of the query must occur in the
/// emoji's name or one of its shortcodes (case-insensitive). Names that start with the query
/// come first, then names with a word starting with each query word, then the rest, each
/// in Unicode's order. An empty query matches nothing (the panel shows the groups instead).
pub fn search(query: &str) -> Vec<Emoji> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    if words.is_empty() {
        return Vec::new();
    }
    let whole = words.join(" ");
    let mut found: Vec<(u8, Emoji)> = all()
        .iter()
        .filter_map(|e| {
            let name = e.name.to_lowercase();
            let matches = words
                .iter()
                .all(|w| name.contains(w.as_str()) || e.shortcodes.contains(w.as_str()));
            if !matches {
                return None;
            }
            let rank = if name.starts_with(&whole) {
                0
            } else if words.iter().all(|w| {
                name.split([' ', ':', ',', '-'])
                    .any(|n| n.starts_with(w.as_str()))
            }) {
                1
            } else {
                2
            };
            Some((rank, *e))
        })
        .collect();
    // Stable: within a rank, Unicode's order.
    found.sort_by_key(|(rank, _)| *rank);
    found.into_iter().map(|(_, e)| e).collect()
}

/// The recent list after using `emoji`: it moves (or is added) to the front, and the list
/// keeps at most `cap` entries.
pub fn remember(recent: &[String], emoji: &str, cap: usize) -> Vec<String> {
    std::iter::once(emoji.to_owned())
        .chain(recent.iter().filter(|e| *e != emoji).cloned())
        .take(cap)
        .collect()
}

/// The recent list as stored: unknown strings and repeats are dropped (the storage is
/// this browser's, but anything could have written it), and at most [`RECENT_CAP`] kept.
pub fn parse_recent(json: &str) -> Vec<Emoji> {
    let stored: Vec<String> = serde_json::from_str(json).unwrap_or_default();
    let mut out: Vec<Emoji> = Vec::new();
    for e in stored
        .iter()
        .filter_map(|s| all().iter().find(|e| e.glyph == s).copied())
    {
        if out.len() < RECENT_CAP && !out.contains(&e) {
            out.push(e);
        }
    }
    out
}

fn load_recent() -> Vec<Emoji> {
    super::draft::storage()
        .and_then(|s| s.get_item(RECENT_KEY).ok().flatten())
        .map(|json| parse_recent(&json))
        .unwrap_or_default()
}

/// Puts `emoji` first in this browser's recently used list (shared by the composer's picker
/// and the reaction picker).
pub fn save_recent(emoji: Emoji) {
    let recent: Vec<String> = load_recent()
        .into_iter()
        .map(|e| e.glyph.to_owned())
        .collect();
    let next = remember(&recent, emoji.glyph, RECENT_CAP);
    if let (Some(s), Ok(json)) = (super::draft::storage(), serde_json::to_string(&next)) {
        let _ = s.set_item(RECENT_KEY, &json);
    }
}

/// Puts `text` into the text box in place of its selection (at the caret when nothing is
/// selected), leaves the caret after it and the focus in the box, and tells the box's
/// listeners (draft saving, typing) as if it had been typed.
fn insert_at_caret(area: &web_sys::HtmlTextAreaElement, text: &str) {
    let len = u32::try_from(area.value().encode_utf16().count()).unwrap_or(u32::MAX);
    let start = area.selection_start().ok().flatten().unwrap_or(len);
    let end = area.selection_end().ok().flatten().unwrap_or(start);
    let _ = area.set_range_text_with_start_and_end_and_mode(text, start, end, "end");
    if let Ok(input) = web_sys::Event::new_with_event_init_dict("input", &{
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        init
    }) {
        let _ = area.dispatch_event(&input);
    }
    let _ = area.focus();
}

/// The "Emoji" button and, while open, its panel. Escape or a press outside closes it.
#[component]
pub fn EmojiPicker(
    /// The composer's text box: a picked emoji goes in at its caret.
    textarea: NodeRef<html::Textarea>,
) -> impl IntoView {
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    let wrap = NodeRef::<html::Div>::new();
    let close = move || {
        open.set(false);
        if let Some(area) = textarea.get_untracked() {
            let _ = area.focus();
        }
    };
    let escape = window_event_listener(ev::keydown, move |ev| {
        if ev.key() == "Escape" && open.get_untracked() {
            ev.prevent_default();
            close();
        }
    });
    let outside = window_event_listener(ev::pointerdown, move |ev| {
        if !open.get_untracked() {
            return;
        }
        use leptos::wasm_bindgen::JsCast;
        let target = ev.target().and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        let inside = wrap
            .get_untracked()
            .is_some_and(|w| w.contains(target.as_ref()));
        if !inside {
            open.set(false);
        }
    });
    on_cleanup(move || {
        escape.remove();
        outside.remove();
    });
    let pick = Callback::new(move |emoji: Emoji| {
        if let Some(area) = textarea.get_untracked() {
            insert_at_caret(&area, emoji.glyph);
        }
        save_recent(emoji);
    });

    view! {
        <div class="emoji-picker" node_ref=wrap>
            <button type="button" class="icon tool" aria-label=move || td_string!(i18n.get_locale(), emoji) title=move || td_string!(i18n.get_locale(), emoji)
                aria-haspopup="dialog" aria-expanded=move || if open.get() { "true" } else { "false" }
                on:click=move |_| open.update(|o| *o = !*o)>"😊"</button>
            <Show when=move || open.get()>
                <EmojiPanel pick/>
            </Show>
        </div>
    }
}

/// The open panel: search box, then either the matches or the recent list and every group.
/// The composer's picker and the reaction picker both show it.
#[component]
pub fn EmojiPanel(
    /// Takes a picked emoji.
    pick: Callback<Emoji>,
) -> impl IntoView {
    let i18n = use_i18n();
    let query = RwSignal::new(String::new());
    let input = NodeRef::<html::Input>::new();
    let scroller = NodeRef::<html::Div>::new();
    // What was recent when the panel opened: picking more does not reshuffle it under the
    // pointer.
    let recent = load_recent();
    // A dynamically inserted field ignores `autofocus`; the search box takes the keyboard.
    Effect::new(move |_| {
        if let Some(i) = input.get() {
            let _ = i.focus();
        }
    });
    // Enter in the search box takes the best match, so the keyboard never has to leave it.
    let on_keydown = move |ev: ev::KeyboardEvent| {
        if ev.key() == "Enter" {
            ev.prevent_default();
            if let Some(first) = search(&query.get_untracked()).first().copied() {
                pick.run(first);
            }
        }
    };
    let jump = move |slug: &'static str| {
        query.set(String::new());
        if let Some(i) = input.get_untracked() {
            i.set_value("");
        }
        let id = format!("emoji-group-{slug}");
        if let Some(section) = scroller
            .get_untracked()
            .and_then(|s| s.query_selector(&format!("#{id}")).ok().flatten())
        {
            section.scroll_into_view();
        }
    };
    let body = move || {
        let q = query.get();
        if q.trim().is_empty() {
            let recent = (!recent.is_empty()).then(|| {
                view! { <EmojiSection id="emoji-recent" title=td_string!(i18n.get_locale(), recently_used) emoji=recent.clone() pick/> }
            });
            view! {
                {recent}
                {GROUPS
                    .iter()
                    .enumerate()
                    .map(|(i, (_, slug, _))| {
                        let id = format!("emoji-group-{slug}");
                        view! { <EmojiSection id title=group_name(i18n.get_locale(), i) emoji=in_group(i) pick/> }
                    })
                    .collect_view()}
            }
            .into_any()
        } else {
            let found = search(&q);
            if found.is_empty() {
                view! { <p class="muted-line">{td_string!(i18n.get_locale(), no_emoji_match)}" “"<bdi>{q}</bdi>"”"</p> }.into_any()
            } else {
                view! { <EmojiSection id="emoji-results" title=td_string!(i18n.get_locale(), search_results) emoji=found pick/> }
                    .into_any()
            }
        }
    };

    view! {
        <div class="emoji-panel" role="dialog" aria-label=move || td_string!(i18n.get_locale(), emoji_picker)>
            <input type="search" class="emoji-search" node_ref=input aria-label=move || td_string!(i18n.get_locale(), search_emoji)
                placeholder=move || td_string!(i18n.get_locale(), search_emoji) autocomplete="off" maxlength="64"
                on:input=move |ev| query.set(event_target_value(&ev)) on:keydown=on_keydown/>
            <nav class="emoji-groups" aria-label=move || td_string!(i18n.get_locale(), emoji_groups)>
                {GROUPS
                    .iter()
                    .enumerate()
                    .map(|(i, (_, slug, icon))| view! {
                        <button type="button" class="icon" aria-label=move || group_name(i18n.get_locale(), i)
                            title=move || group_name(i18n.get_locale(), i)
                            on:click=move |_| jump(slug)>{*icon}</button>
                    })
                    .collect_view()}
            </nav>
            <div class="emoji-scroll" node_ref=scroller>{body}</div>
        </div>
    }
}

/// Arrow keys move between a grid's buttons (Tab moves between the panel's parts): left and
/// right to the neighbour, up and down by one row of however many columns fit.
fn grid_keys(ev: ev::KeyboardEvent) {
    use leptos::wasm_bindgen::JsCast;
    let step = |el: &web_sys::Element, forward: bool| {
        if forward {
            el.next_element_sibling()
        } else {
            el.previous_element_sibling()
        }
    };
    let Some(current) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        return;
    };
    let (forward, rows) = match ev.key().as_str() {
        "ArrowRight" => (true, false),
        "ArrowLeft" => (false, false),
        "ArrowDown" => (true, true),
        "ArrowUp" => (false, true),
        _ => return,
    };
    ev.prevent_default();
    let mut next: Option<web_sys::Element> = step(&current, forward);
    if rows {
        // One row = the buttons sharing the current one's line.
        let top = current.offset_top();
        while let Some(el) = next.clone() {
            let same_line = el
                .dyn_ref::<web_sys::HtmlElement>()
                .is_some_and(|h| h.offset_top() == top);
            let column_matches = el
                .dyn_ref::<web_sys::HtmlElement>()
                .is_some_and(|h| h.offset_left() == current.offset_left());
            if !same_line && column_matches {
                break;
            }
            next = step(&el, forward);
        }
    }
    if let Some(h) = next.and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = h.focus();
    }
}

/// One headed grid of emoji buttons, each named by its emoji's name.
#[component]
fn EmojiSection(
    #[prop(into)] id: String,
    title: &'static str,
    emoji: Vec<Emoji>,
    pick: Callback<Emoji>,
) -> impl IntoView {
    let heading = format!("{id}-title");
    view! {
        <section class="emoji-section" id=id aria-labelledby=heading.clone()>
            <h3 id=heading.clone()>{title}</h3>
            <div class="emoji-grid" on:keydown=grid_keys>
                {emoji
                    .into_iter()
                    .map(|e| view! {
                        <button type="button" class="emoji" aria-label=e.name title=e.name
                            on:click=move |_| pick.run(e)>{e.glyph}</button>
                    })
                    .collect_view()}
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(found: &[Emoji]) -> Vec<&'static str> {
        found.iter().map(|e| e.name).collect()
    }

    #[test]
    fn search_finds_by_name_prefix_first() {
        let found = search("grin");
        let n = names(&found);
        assert_eq!(n.first().copied(), Some("grinning face"));
        assert!(n.contains(&"grinning cat"));
        // A name starting with the query beats one merely containing a word that does.
        let pos = |name: &str| n.iter().position(|x| *x == name);
        assert!(pos("grinning face") < pos("grinning cat"));
    }

    #[test]
    fn search_is_case_insensitive_and_needs_every_word() {
        assert_eq!(
            names(&search("GRINNING   Face")).first().copied(),
            Some("grinning face")
        );
        let both = search("face heart");
        assert!(!both.is_empty());
        let has = |e: &Emoji, w: &str| e.name.contains(w) || e.shortcodes.contains(w);
        assert!(both.iter().all(|e| has(e, "face") && has(e, "heart")));
        assert!(names(&both).contains(&"smiling face with hearts"));
        assert!(search("zzzz-nothing").is_empty());
    }

    #[test]
    fn search_uses_shortcodes_and_ignores_blank_queries() {
        // "+1" is the shortcode of thumbs up, which its name does not contain.
        assert!(names(&search("+1")).contains(&"thumbs up"));
        assert!(search("").is_empty());
        assert!(search("   ").is_empty());
    }

    #[test]
    fn the_table_has_the_whole_set_without_skin_tone_variants() {
        let found = search("waving hand");
        assert_eq!(found.iter().filter(|e| e.name == "waving hand").count(), 1);
        assert!(all().iter().all(|e| !e.name.contains("skin tone")));
        // Unicode 15/16 has ~1,900 emoji before skin tones; every one has a name.
        assert!(all().len() > 1800);
        assert!(all()
            .iter()
            .all(|e| !e.glyph.is_empty() && !e.name.is_empty()));
        assert_eq!(all().first().map(|e| e.glyph), Some("😀"));
    }

    #[test]
    fn remember_moves_to_front_without_repeats_and_caps() {
        let list: Vec<String> = ["😀", "🎉", "👍"].map(String::from).to_vec();
        assert_eq!(remember(&list, "👍", 24), ["👍", "😀", "🎉"]);
        assert_eq!(remember(&list, "🐻", 24), ["🐻", "😀", "🎉", "👍"]);
        assert_eq!(remember(&list, "🐻", 2), ["🐻", "😀"]);
        assert_eq!(remember(&[], "🐻", 24), ["🐻"]);
    }

    #[test]
    fn parse_recent_drops_junk_repeats_and_overflow() {
        let got = parse_recent(r#"["🎉","not an emoji","🎉","😀"]"#);
        assert_eq!(
            got.iter().map(|e| e.glyph).collect::<Vec<_>>(),
            ["🎉", "😀"]
        );
        assert!(parse_recent("{broken").is_empty());
        let many: Vec<&str> = all().iter().take(40).map(|e| e.glyph).collect();
        let json = serde_json::to_string(&many).unwrap_or_default();
        assert_eq!(parse_recent(&json).len(), RECENT_CAP);
    }

    #[test]
    fn every_group_has_a_label_and_emoji() {
        for (i, (title, _, icon)) in GROUPS.iter().enumerate() {
            assert!(!title.is_empty());
            assert!(!in_group(i).is_empty(), "{title} is empty");
            assert!(
                all().iter().any(|e| e.glyph == *icon),
                "{icon} is not an emoji"
            );
        }
        assert_eq!(in_group(0).first().map(|e| e.name), Some("grinning face"));
        assert_eq!(in_group(8).first().map(|e| e.name), Some("chequered flag"));
        assert!(all().iter().all(|e| e.group < GROUPS.len()));
    }
}
