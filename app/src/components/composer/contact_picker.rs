//! The "Send contact" dialog: my friends, one button each; picking one shares their contact
//! card in the open conversation.

use crate::api::social::list_friends;
use crate::components::basics::Avatar;
use crate::i18n::{t, td_string, use_i18n};
use crate::protocol::body::{Media, MessageBody};
use crate::protocol::{is_allowed_url, User};
use leptos::prelude::*;

/// The contact-card body for `user`: their id, avatar (only a URL the protocol allows; any
/// other is left out rather than refusing the card) and nickname.
pub fn contact_body(user: &User) -> Result<MessageBody, crate::error::ApiError> {
    let pic = if is_allowed_url(&user.avatar) {
        user.avatar.clone()
    } else {
        String::new()
    };
    MessageBody::new(
        Media::Contact.code(),
        user.id.0.to_string(),
        pic,
        String::new(),
        user.nickname.clone(),
        0,
    )
}

/// The dialog's body: loads my friends when it opens. `send` gets the checked contact-card
/// body; the caller closes the dialog.
#[component]
pub fn ContactPicker(
    /// Sends the contact card.
    send: Callback<MessageBody>,
) -> impl IntoView {
    let friends = Resource::new(|| (), |_| list_friends());
    let i18n = use_i18n();
    let error = RwSignal::new(None::<crate::error::ApiError>);
    let pick = move |user: User| match contact_body(&user) {
        Ok(body) => send.run(body),
        Err(e) => error.set(Some(e)),
    };
    view! {
        <crate::components::basics::FormError error/>
        <Transition fallback=move || view! { <p class="muted-line">{t!(i18n, loading_friends)}</p> }>
            {move || Suspend::new(async move {
                match friends.await {
                    Ok(list) if list.is_empty() => view! {
                        <p class="muted-line">{t!(i18n, no_friends_to_share)}</p>
                    }.into_any(),
                    Ok(mut list) => {
                        list.sort_by_cached_key(|f| f.user.nickname.to_lowercase());
                        view! {
                            <ul class="list contact-list" aria-label=move || td_string!(i18n.get_locale(), friends)>
                                {list.into_iter().map(|f| {
                                    let user = f.user;
                                    let chosen = user.clone();
                                    view! {
                                        <li>
                                            <button type="button" class="row pick" on:click=move |_| pick(chosen.clone())>
                                                <Avatar user=user.clone()/>
                                                <span class="who">
                                                    <span class="nickname"><bdi>{user.nickname.clone()}</bdi></span>
                                                    <span class="username">"@"<bdi>{user.username.clone()}</bdi></span>
                                                </span>
                                            </button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="form-error" role="alert">{e.msg}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    fn user(avatar: &str) -> User {
        User {
            id: UserId(42),
            username: "ann".into(),
            nickname: "Ann".into(),
            avatar: avatar.into(),
            status: String::new(),
        }
    }

    #[test]
    fn a_card_carries_id_avatar_and_nickname() {
        let body = contact_body(&user("/media/ann.png"));
        let body = body.ok();
        assert_eq!(body.as_ref().map(|b| b.media), Some(Media::Contact));
        assert_eq!(body.as_ref().map(|b| b.content.as_str()), Some("42"));
        assert_eq!(
            body.as_ref().map(|b| b.pic.as_str()),
            Some("/media/ann.png")
        );
        assert_eq!(body.as_ref().map(|b| b.memo.as_str()), Some("Ann"));
    }

    #[test]
    fn an_unsafe_avatar_is_left_out() {
        let body = contact_body(&user("javascript:alert(1)")).ok();
        assert_eq!(body.map(|b| b.pic), Some(String::new()));
    }
}
