//! A conversation's round picture, shared by the Chats list and the conversation's header.

use crate::protocol::{is_allowed_url, Conv};
use leptos::prelude::*;

/// A conversation's round picture: the peer's avatar or the group's icon when it is a safe
/// URL, otherwise the title's first letter (squarer for groups).
pub(super) fn conv_icon(conv: Conv, title: &str, avatar: &str) -> AnyView {
    let class = match conv {
        Conv::Group(_) => "avatar group-avatar",
        Conv::Private { .. } => "avatar",
    };
    if !avatar.is_empty() && is_allowed_url(avatar) {
        view! { <img class=class src=avatar.to_owned() alt=""/> }.into_any()
    } else {
        let initial: String = title
            .chars()
            .next()
            .map(|c| c.to_uppercase().collect())
            .unwrap_or_default();
        view! { <span class=class aria-hidden="true">{initial}</span> }.into_any()
    }
}
