//! A system notice (cmd 12) inside a conversation: a centred grey line, worded in the
//! reader's language from the names the notice carries, so "Omar joined Lounge" reads
//! "Omar 加入了群聊“Lounge”" to a Chinese reader and "You joined Lounge" to Omar.

use super::notice::NoticeText;
use crate::i18n::{td_string, use_i18n, Locale};
use crate::ids::UserId;
use crate::protocol::frame::Frame;
use crate::protocol::NoticeNames;
use leptos::prelude::*;

/// Which sentence a notice takes for its reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sentence {
    FriendsNow,
    AddedYou,
    Unfriended,
    Joined,
    YouJoined,
    Left,
    YouLeft,
    Owner,
    YouOwner,
    Dissolved,
    MembersPin,
    YouLetMembersPin,
    OwnerPins,
    YouOnlyPin,
}

/// The sentence for `kind` (the frame's `memo`) as `me` reads it, with the one person it
/// names (if any); `None` for a kind this build does not know.
fn sentence(kind: &str, n: &NoticeNames, me: UserId) -> Option<(Sentence, String)> {
    let mine = n.actor_id == me.0;
    // In a friendship change, "the other person" depends on who reads it.
    let other = if mine { &n.peer } else { &n.actor };
    Some(match kind {
        "friend_added" if mine => (Sentence::FriendsNow, other.clone()),
        "friend_added" => (Sentence::AddedYou, n.actor.clone()),
        "friend_removed" => (Sentence::Unfriended, other.clone()),
        "member_joined" if mine => (Sentence::YouJoined, String::new()),
        "member_joined" => (Sentence::Joined, n.actor.clone()),
        "member_left" if mine => (Sentence::YouLeft, String::new()),
        "member_left" => (Sentence::Left, n.actor.clone()),
        "owner_changed" => {
            let (id, name) = if n.peer_id != 0 {
                (n.peer_id, &n.peer)
            } else {
                (n.actor_id, &n.actor)
            };
            if id == me.0 {
                (Sentence::YouOwner, String::new())
            } else {
                (Sentence::Owner, name.clone())
            }
        }
        "group_dissolved" => (Sentence::Dissolved, String::new()),
        "members_may_pin" if mine => (Sentence::YouLetMembersPin, String::new()),
        "members_may_pin" => (Sentence::MembersPin, n.actor.clone()),
        "only_owner_pins" if mine => (Sentence::YouOnlyPin, String::new()),
        "only_owner_pins" => (Sentence::OwnerPins, n.actor.clone()),
        _ => return None,
    })
}

fn template(locale: Locale, s: Sentence) -> &'static str {
    match s {
        Sentence::FriendsNow => td_string!(locale, sys.friends_now),
        Sentence::AddedYou => td_string!(locale, sys.added_you),
        Sentence::Unfriended => td_string!(locale, sys.unfriended),
        Sentence::Joined => td_string!(locale, sys.joined),
        Sentence::YouJoined => td_string!(locale, sys.you_joined),
        Sentence::Left => td_string!(locale, sys.left),
        Sentence::YouLeft => td_string!(locale, sys.you_left),
        Sentence::Owner => td_string!(locale, sys.owner),
        Sentence::YouOwner => td_string!(locale, sys.you_owner),
        Sentence::Dissolved => td_string!(locale, sys.dissolved),
        Sentence::MembersPin => td_string!(locale, sys.members_pin),
        Sentence::YouLetMembersPin => td_string!(locale, sys.you_let_members_pin),
        Sentence::OwnerPins => td_string!(locale, sys.owner_pins),
        Sentence::YouOnlyPin => td_string!(locale, sys.you_only_pin),
    }
}

/// The words of `notice` for `me` in `locale`: the translated sentence when the notice
/// carries names and a known kind, otherwise the server's stored words.
fn notice_words(locale: Locale, notice: &Frame, me: UserId) -> NoticeText {
    let worded = notice
        .names
        .as_ref()
        .and_then(|n| Some((n, sentence(&notice.memo, n, me)?)));
    match worded {
        Some((n, (s, name))) => NoticeText::fill(
            template(locale, s),
            &[("name", name), ("group", n.group.clone())],
        ),
        None => NoticeText::from(notice.content.as_str()),
    }
}

/// One system notice as a row of the message list.
#[component]
pub fn SysNotice(
    /// The cmd 12 frame.
    notice: Frame,
    /// The reader.
    me: UserId,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <li class="sys-notice" role="note">
            {move || notice_words(i18n.get_locale(), &notice, me).into_view()}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(actor: i64, peer: i64) -> NoticeNames {
        NoticeNames {
            actor_id: actor,
            actor: "Omar".into(),
            peer_id: peer,
            peer: if peer == 0 {
                String::new()
            } else {
                "Mia".into()
            },
            group: "Lounge".into(),
        }
    }

    fn words(locale: Locale, kind: &str, n: NoticeNames, me: i64) -> String {
        let frame = Frame {
            cmd: 12,
            memo: kind.into(),
            content: "stored words".into(),
            names: Some(n),
            ..Frame::default()
        };
        notice_words(locale, &frame, UserId(me))
            .into_view()
            .to_html()
    }

    #[test]
    fn each_reader_gets_their_own_sentence() {
        let english = Locale::en;
        assert!(words(english, "member_joined", names(1, 0), 2)
            .contains("<bdi>Omar</bdi> joined <bdi>Lounge</bdi>"));
        assert!(words(english, "member_joined", names(1, 0), 1)
            .contains("You joined <bdi>Lounge</bdi>"));
        assert!(words(english, "friend_added", names(1, 2), 1)
            .contains("You and <bdi>Mia</bdi> are now friends"));
        assert!(words(english, "friend_added", names(1, 2), 2)
            .contains("<bdi>Omar</bdi> added you as a friend"));
        assert!(words(english, "friend_removed", names(1, 2), 2)
            .contains("You and <bdi>Omar</bdi> are no longer friends"));
        assert!(words(english, "owner_changed", names(1, 2), 2)
            .contains("You are now the owner of <bdi>Lounge</bdi>"));
        assert!(words(english, "owner_changed", names(1, 2), 3)
            .contains("<bdi>Mia</bdi> is now the owner"));
        assert!(words(english, "members_may_pin", names(1, 0), 2)
            .contains("<bdi>Omar</bdi> let all members pin messages"));
        assert!(words(english, "members_may_pin", names(1, 0), 1)
            .contains("You let all members pin messages"));
        assert!(words(english, "only_owner_pins", names(1, 0), 2)
            .contains("Only <bdi>Omar</bdi> can pin messages now"));
    }

    #[test]
    fn chinese_readers_read_chinese() {
        let chinese = Locale::zh_CN;
        let html = words(chinese, "member_left", names(1, 0), 2);
        assert!(
            html.contains("<bdi>Omar</bdi> 退出了群聊“<bdi>Lounge</bdi>”"),
            "{html}"
        );
        let html = words(chinese, "group_dissolved", names(1, 0), 2);
        assert!(
            html.contains("群聊“<bdi>Lounge</bdi>”已被群主解散"),
            "{html}"
        );
    }

    #[test]
    fn without_names_or_with_an_unknown_kind_the_stored_words_show() {
        let mut frame = Frame {
            cmd: 12,
            memo: "member_joined".into(),
            content: "stored words".into(),
            ..Frame::default()
        };
        assert!(notice_words(Locale::zh_CN, &frame, UserId(2))
            .into_view()
            .to_html()
            .contains("stored words"));
        frame.names = Some(names(1, 0));
        frame.memo = "something_new".into();
        assert!(notice_words(Locale::zh_CN, &frame, UserId(2))
            .into_view()
            .to_html()
            .contains("stored words"));
    }
}
