//! @mentions in a group's composer: typing `@` and part of a name lists the members whose
//! nickname or username contains it (any script: a substring, so Chinese names match by
//! any of their characters, no pinyin needed), navigable with the arrow keys; picking one
//! writes `@Nickname ` and remembers their id, sent with the message as `mentions` (only for
//! names still in the text when it is sent).

use crate::i18n::{td_string, use_i18n};
use crate::ids::UserId;
use crate::protocol::action::MENTION_ALL;
use crate::protocol::User;
use leptos::prelude::*;

/// Most members listed at once.
const SHOWN: usize = 8;

/// The `@query` being typed before the caret, as (byte index of the `@`, query): the `@`
/// starts the text or follows whitespace, and the query has no whitespace.
pub fn typed_mention(text: &str, caret: usize) -> Option<(usize, String)> {
    let before = text.get(..caret)?;
    let at = before.rfind('@')?;
    let query = &before[at + 1..];
    if query.chars().any(char::is_whitespace) || query.chars().count() > 32 {
        return None;
    }
    let starts_word = before[..at]
        .chars()
        .next_back()
        .is_none_or(char::is_whitespace);
    starts_word.then(|| (at, query.to_owned()))
}

/// The members matching `query` (case-insensitive substring of nickname or username), me
/// left out, at most [`SHOWN`].
pub fn matches(members: &[User], query: &str, me: UserId) -> Vec<User> {
    let q = query.to_lowercase();
    members
        .iter()
        .filter(|u| u.id != me)
        .filter(|u| {
            q.is_empty()
                || u.nickname.to_lowercase().contains(&q)
                || u.username.to_lowercase().contains(&q)
        })
        .take(SHOWN)
        .cloned()
        .collect()
}

/// The ids of the picked people whose `@name` is still in `text` (everyone: `@all` or the
/// localized word, as it was written).
pub fn still_mentioned(text: &str, picked: &[(UserId, String)]) -> Vec<i64> {
    let mut ids: Vec<i64> = picked
        .iter()
        .filter(|(_, name)| text.contains(&format!("@{name}")))
        .map(|(id, _)| id.0)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The open list of candidates under the composer, and the one highlighted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Suggest {
    /// Where the `@` is (byte index) in the text.
    pub at: usize,
    /// The candidates; the first may be "everyone" (id 0).
    pub people: Vec<User>,
    /// The highlighted one.
    pub index: usize,
}

/// The "everyone" entry, offered to a group's owner.
pub fn everyone(label: &str) -> User {
    User {
        id: MENTION_ALL,
        username: "all".into(),
        nickname: label.to_owned(),
        avatar: String::new(),
        status: String::new(),
    }
}

/// The list of candidates (a listbox; the textarea keeps focus and drives it by keys).
#[component]
pub fn MentionList(
    /// The candidates, while the list is open.
    suggest: RwSignal<Option<Suggest>>,
    /// Picks one.
    pick: Callback<User>,
) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        suggest.get().map(|s| {
            let items = s
                .people
                .into_iter()
                .enumerate()
                .map(|(i, u)| {
                    let selected = i == s.index;
                    let shown = u.nickname.clone();
                    let user = u.clone();
                    view! {
                        <li role="option" id=format!("mention-{i}") aria-selected=selected.to_string()
                            class:selected=selected
                            on:mousedown=move |ev| { ev.prevent_default(); pick.run(user.clone()); }>
                            <bdi>{shown}</bdi>
                            {(u.id != MENTION_ALL).then(|| view! { <span class="muted">" @"{u.username.clone()}</span> })}
                        </li>
                    }
                })
                .collect_view();
            view! {
                <ul class="mention-list" role="listbox" id="mention-list"
                    aria-label=td_string!(i18n.get_locale(), mentions_label)>{items}</ul>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(id: i64, nick: &str, name: &str) -> User {
        User {
            id: UserId(id),
            username: name.into(),
            nickname: nick.into(),
            avatar: String::new(),
            status: String::new(),
        }
    }

    #[test]
    fn the_query_is_the_word_after_an_at_sign_before_the_caret() {
        assert_eq!(typed_mention("hi @bo", 6), Some((3, "bo".into())));
        assert_eq!(typed_mention("@", 1), Some((0, String::new())));
        assert_eq!(typed_mention("mail@host", 9), None, "inside a word");
        assert_eq!(typed_mention("@bob hi", 7), None, "a space ended it");
        let zh = "你好 @张";
        assert_eq!(typed_mention(zh, zh.len()), Some((7, "张".into())));
    }

    #[test]
    fn members_match_by_any_part_of_their_names_in_any_script() {
        let people = [
            u(1, "Me", "me"),
            u(2, "张伟", "zhangwei"),
            u(3, "Bob", "bobby"),
        ];
        let names = |q: &str| -> Vec<String> {
            matches(&people, q, UserId(1))
                .into_iter()
                .map(|u| u.nickname)
                .collect()
        };
        assert_eq!(names("伟"), ["张伟"]);
        assert_eq!(names("BOB"), ["Bob"]);
        assert_eq!(names("wei"), ["张伟"], "by username too");
        assert_eq!(names(""), ["张伟", "Bob"], "not me");
    }

    #[test]
    fn only_names_still_written_are_sent() {
        let picked = [
            (UserId(2), "张伟".to_owned()),
            (UserId(3), "Bob".to_owned()),
        ];
        assert_eq!(still_mentioned("@张伟 看这个", &picked), vec![2]);
        assert!(still_mentioned("nobody", &picked).is_empty());
    }
}
