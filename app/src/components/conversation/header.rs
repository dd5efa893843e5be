//! The conversation's header: back to the list, its picture and title, and under the title
//! a group's size and who is typing, or the peer's typing and presence.

use super::icon::conv_icon;
use super::live::Live;
use super::typing_line::{GroupTyping, PresenceLine};
use crate::components::basics::shown_name;
use crate::components::group_icon::member_count;
use crate::i18n::{td_string, use_i18n};
use crate::protocol::Conv;
use leptos::prelude::*;

/// The header of the open conversation.
#[component]
pub(super) fn ConvHeader(
    /// The conversation's title (the peer's or the group's name).
    title: String,
    /// The peer's avatar or the group's icon, if any.
    avatar: String,
    /// Whether the page came with a member count (groups do).
    counted: bool,
    /// The conversation's state.
    live: Live,
) -> impl IntoView {
    let i18n = use_i18n();
    let Live {
        conv,
        me,
        senders,
        members,
        typing,
        online,
        ..
    } = live;
    let in_group = matches!(conv, Conv::Group(_));
    let peer = conv.peer_of(me);
    let subtitle = counted.then_some(move || {
        member_count(
            i18n.get_locale(),
            usize::try_from(members.get()).unwrap_or(0),
        )
    });
    // A 1:1 is titled by the peer, whose name and picture may change while it is open.
    let shown = move || {
        let now = peer.and_then(|p| {
            senders.with(|s| {
                s.iter()
                    .find(|u| u.id == p)
                    .map(|u| (u.nickname.clone(), u.avatar.clone()))
            })
        });
        now.unwrap_or_else(|| (title.clone(), avatar.clone()))
    };
    let shown = Memo::new(move |_| shown());
    let icon = move || shown.with(|(t, a)| conv_icon(conv, t, a));
    let title = move || shown.with(|(t, _)| shown_name(i18n.get_locale(), t));
    view! {
        <header class="conv-head">
            <a class="back" href="/" aria-label=move || td_string!(i18n.get_locale(), back_to_conversations)>"‹"</a>
            {icon}
            <div class="who">
                <h2 class="nickname"><bdi>{title}</bdi></h2>
                {subtitle.map(|s| view! { <span class="username">{s}</span> })}
                {in_group.then(|| view! { <GroupTyping conv me senders/> })}
                {peer.map(|_| view! { <PresenceLine typing online seen=live.peer_seen/> })}
            </div>
        </header>
    }
}
