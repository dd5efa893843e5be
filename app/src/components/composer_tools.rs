//! The row of tools above the composer: emoji, contact card, red packet and (soon) attach.
//! Every message they make goes out through the conversation's own send path, pending
//! bubble and outbox included.

use super::contact_picker::ContactPicker;
use super::emoji_picker::EmojiPicker;
use super::red_packet::RedPacketForm;
use super::Modal;
use crate::i18n::{td_string, use_i18n};
use crate::protocol::frame::MessageBody;
use leptos::{html, prelude::*};

/// The tools. They need the page's script, so the row stays hidden until hydration (the
/// plain form works without it).
#[component]
pub fn ComposerTools(
    /// The composer's text box (emoji go in at its caret).
    textarea: NodeRef<html::Textarea>,
    /// Sends a message body as mine in the open conversation.
    send: Callback<MessageBody>,
) -> impl IntoView {
    let i18n = use_i18n();
    let live = RwSignal::new(false);
    Effect::new(move |_| live.set(true));
    let contact = RwSignal::new(false);
    let red_packet = RwSignal::new(false);
    let send_contact = Callback::new(move |body| {
        send.run(body);
        contact.set(false);
    });
    let send_red_packet = Callback::new(move |body| {
        send.run(body);
        red_packet.set(false);
    });
    view! {
        <div class="composer-tools" role="toolbar" aria-label=move || td_string!(i18n.get_locale(), message_tools) hidden=move || !live.get()>
            <EmojiPicker textarea/>
            <button type="button" class="icon tool" aria-label=move || td_string!(i18n.get_locale(), send_contact) title=move || td_string!(i18n.get_locale(), send_contact)
                on:click=move |_| contact.set(true)>"👤"</button>
            <button type="button" class="icon tool" aria-label=move || td_string!(i18n.get_locale(), send_red_packet) title=move || td_string!(i18n.get_locale(), send_red_packet)
                on:click=move |_| red_packet.set(true)>"🧧"</button>
            <button type="button" class="icon tool" aria-label=move || td_string!(i18n.get_locale(), attach) title=move || td_string!(i18n.get_locale(), attach_soon)
                disabled>"📎"</button>
        </div>
        <Modal open=contact title=Signal::derive(move || td_string!(i18n.get_locale(), send_contact).to_owned())>
            <ContactPicker send=send_contact/>
        </Modal>
        <Modal open=red_packet title=Signal::derive(move || td_string!(i18n.get_locale(), send_red_packet).to_owned())>
            <RedPacketForm send=send_red_packet/>
        </Modal>
    }
}
