//! The "Create group" dialog's body: name, optional icon URL and description. The server
//! checks every field and the owned-groups limit; its message is shown as it is.

use super::notice::{Notice, NoticeLine, NoticeText};
use crate::api::social::create_group;
use crate::error::Field;
use crate::i18n::{t, td_string, use_i18n};
use crate::protocol::MyGroup;
use leptos::{ev::SubmitEvent, html, prelude::*};

/// The create form; `on_created` gets the new group and the message announcing it.
#[component]
pub fn CreateGroupDialog(
    /// Called once the server has created the group.
    on_created: Callback<(MyGroup, NoticeText)>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let icon = RwSignal::new(String::new());
    let memo = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<Notice>);
    let i18n = use_i18n();
    // The field the server refused: marked invalid and focused, so it can be fixed at once.
    let invalid = RwSignal::new(None::<Field>);
    let name_input = NodeRef::<html::Input>::new();
    let icon_input = NodeRef::<html::Input>::new();
    let memo_input = NodeRef::<html::Textarea>::new();
    let create = Action::new(move |fields: &(String, String, String)| {
        let (name, icon, memo) = fields.clone();
        let optional = |s: String| (!s.trim().is_empty()).then_some(s);
        async move {
            match create_group(name, optional(icon), optional(memo)).await {
                Ok(group) => {
                    let text = NoticeText::fill(
                        td_string!(i18n.get_locale_untracked(), group_created),
                        &[
                            ("name", group.group.name.clone()),
                            ("id", group.group.id.to_string()),
                        ],
                    );
                    on_created.run((group, text));
                }
                Err(e) => {
                    let _ = match e.field {
                        Some(Field::Name) => name_input.get_untracked().map(|i| i.focus()),
                        Some(Field::Icon) => icon_input.get_untracked().map(|i| i.focus()),
                        Some(Field::Memo) => memo_input.get_untracked().map(|i| i.focus()),
                        _ => None,
                    };
                    invalid.set(e.field);
                    notice.set(Notice::failed(e));
                }
            }
        }
    });
    let pending = create.pending();
    let is_invalid = move |f: Field| move || (invalid.get() == Some(f)).then_some("true");
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        notice.set(None);
        invalid.set(None);
        create.dispatch((
            name.get_untracked(),
            icon.get_untracked(),
            memo.get_untracked(),
        ));
    };

    view! {
        <form class="stack" on:submit=on_submit>
            <NoticeLine notice/>
            <label>
                {t!(i18n, group_name)}
                <input name="name" node_ref=name_input aria-invalid=is_invalid(Field::Name) autofocus required maxlength="64" autocomplete="off"
                    prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
                <small>{t!(i18n, group_name_hint)}</small>
            </label>
            <label>
                {t!(i18n, group_icon)}
                <input name="icon" node_ref=icon_input aria-invalid=is_invalid(Field::Icon) inputmode="url" maxlength="512" autocomplete="off"
                    placeholder="https://…"
                    prop:value=icon on:input=move |ev| icon.set(event_target_value(&ev))/>
            </label>
            <label>
                {t!(i18n, group_memo)}
                <textarea name="memo" node_ref=memo_input aria-invalid=is_invalid(Field::Memo) rows="3" maxlength="512"
                    prop:value=memo on:input=move |ev| memo.set(event_target_value(&ev))></textarea>
                <small>{t!(i18n, group_memo_hint)}</small>
            </label>
            <button type="submit" disabled=move || pending.get()>
                {move || if pending.get() { t!(i18n, creating).into_any() } else { t!(i18n, create_group).into_any() }}
            </button>
        </form>
    }
}
