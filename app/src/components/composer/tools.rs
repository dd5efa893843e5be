//! The row of tools above the composer: emoji, attach (pick files), record a voice note,
//! camera (photo), record a video, contact card and red packet. Every message they make goes
//! out through the conversation's own send path, pending bubble and outbox included; files
//! go up first (see [`super::attachments`]).
//!
//! On a narrow screen the less used tools fold into a "+" menu, as chat apps do; on a wide
//! one they sit in the row (the menu button is hidden by CSS).

use super::attachments::Attachments;
use super::contact_picker::ContactPicker;
use super::emoji_picker::EmojiPicker;
use super::recorder::{start_voice, stop_voice, CameraMode, CameraView, VoiceBar, VoiceLive};
use super::red_packet::RedPacketForm;
use crate::components::dialog::Modal;
use crate::i18n::{td_string, use_i18n};
use crate::protocol::body::MessageBody;
use leptos::{html, prelude::*};

/// What the file picker offers: what can travel as a message (the server checks the
/// content itself).
const ACCEPT: &str = "image/*,video/*,audio/*";

/// The tools. They need the page's script, so the row stays hidden until hydration (the
/// plain form works without it).
#[component]
pub fn ComposerTools(
    /// The composer's text box (emoji go in at its caret).
    textarea: NodeRef<html::Textarea>,
    /// Sends a message body as mine in the open conversation.
    send: Callback<MessageBody>,
    /// The conversation's uploads (files, photos, recordings).
    attachments: Attachments,
) -> impl IntoView {
    let i18n = use_i18n();
    let live = RwSignal::new(false);
    Effect::new(move |_| live.set(true));
    let contact = RwSignal::new(false);
    let red_packet = RwSignal::new(false);
    let camera = RwSignal::new(false);
    let video = RwSignal::new(false);
    let more = RwSignal::new(false);
    let voice = RwSignal::new(None::<VoiceLive>);
    let picker = NodeRef::<html::Input>::new();
    on_cleanup(move || stop_voice(attachments, voice, false));
    let send_contact = Callback::new(move |body| {
        send.run(body);
        contact.set(false);
    });
    let send_red_packet = Callback::new(move |body| {
        send.run(body);
        red_packet.set(false);
    });
    // Every tool in the "+" menu closes it.
    let open_tool = move |which: RwSignal<bool>| {
        more.set(false);
        which.set(true);
    };
    let pick = move |_| {
        more.set(false);
        if let Some(input) = picker.get() {
            input.click();
        }
    };
    let picked = move |_: leptos::ev::Event| {
        let Some(input) = picker.get() else { return };
        #[cfg(feature = "hydrate")]
        {
            let files = input
                .files()
                .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
                .unwrap_or_default();
            attachments.add_files(files);
        }
        // The same file can be picked again next time.
        input.set_value("");
    };
    let record = move |_| {
        more.set(false);
        start_voice(attachments, voice);
    };
    let label = move |key: fn(crate::i18n::Locale) -> &'static str| move || key(i18n.get_locale());
    let menu_escape = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" && more.get_untracked() {
            ev.stop_propagation();
            more.set(false);
        }
    };
    // A press outside the row closes the "+" menu.
    let row = NodeRef::<html::Div>::new();
    let outside = window_event_listener(leptos::ev::pointerdown, move |ev| {
        if !more.get_untracked() {
            return;
        }
        use leptos::wasm_bindgen::JsCast;
        let target = ev.target().and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        let inside = row
            .get_untracked()
            .is_some_and(|r| r.contains(target.as_ref()));
        if !inside {
            more.set(false);
        }
    });
    on_cleanup(move || outside.remove());
    view! {
        <div class="composer-tools" role="toolbar" aria-label=label(|l| td_string!(l, message_tools)) hidden=move || !live.get()
            node_ref=row on:keydown=menu_escape>
            <Show when=move || voice.with(Option::is_none) fallback=move || view! { <VoiceBar attachments voice/> }>
                <EmojiPicker textarea/>
                <button type="button" class="icon tool tool-attach" aria-label=label(|l| td_string!(l, attach)) title=label(|l| td_string!(l, attach_hint))
                    on:click=pick>"📎"</button>
                <button type="button" class="icon tool tool-voice" aria-label=label(|l| td_string!(l, record_voice)) title=label(|l| td_string!(l, record_voice))
                    on:click=record>"🎤"</button>
                <button type="button" class="icon tool more-button" aria-label=label(|l| td_string!(l, more_tools)) title=label(|l| td_string!(l, more_tools))
                    aria-expanded=move || if more.get() { "true" } else { "false" } aria-controls="more-tools"
                    on:click=move |_| more.update(|m| *m = !*m)>"＋"</button>
                <div class="more-tools" id="more-tools" class:open=move || more.get()>
                    <button type="button" class="icon tool tool-camera" aria-label=label(|l| td_string!(l, camera)) title=label(|l| td_string!(l, camera))
                        on:click=move |_| open_tool(camera)>"📷"</button>
                    <button type="button" class="icon tool tool-video" aria-label=label(|l| td_string!(l, record_video)) title=label(|l| td_string!(l, record_video))
                        on:click=move |_| open_tool(video)>"🎬"</button>
                    <button type="button" class="icon tool" aria-label=label(|l| td_string!(l, send_contact)) title=label(|l| td_string!(l, send_contact))
                        on:click=move |_| open_tool(contact)>"👤"</button>
                    <button type="button" class="icon tool" aria-label=label(|l| td_string!(l, send_red_packet)) title=label(|l| td_string!(l, send_red_packet))
                        on:click=move |_| open_tool(red_packet)>"🧧"</button>
                </div>
                <input type="file" class="file-picker" node_ref=picker accept=ACCEPT multiple tabindex="-1" aria-hidden="true"
                    on:change=picked/>
            </Show>
        </div>
        {move || attachments.problem.get().map(|p| view! {
            <p class="form-error composer-alert" role="alert">
                <span>{move || p.msg(i18n.get_locale())}</span>
                <button type="button" class="icon" aria-label=label(|l| td_string!(l, dismiss))
                    on:click=move |_| attachments.problem.set(None)>"×"</button>
            </p>
        })}
        <Modal open=camera title=Signal::derive(move || td_string!(i18n.get_locale(), camera).to_owned())>
            <CameraView attachments open=camera mode=CameraMode::Photo/>
        </Modal>
        <Modal open=video title=Signal::derive(move || td_string!(i18n.get_locale(), record_video).to_owned())>
            <CameraView attachments open=video mode=CameraMode::Video/>
        </Modal>
        <Modal open=contact title=Signal::derive(move || td_string!(i18n.get_locale(), send_contact).to_owned())>
            <ContactPicker send=send_contact/>
        </Modal>
        <Modal open=red_packet title=Signal::derive(move || td_string!(i18n.get_locale(), send_red_packet).to_owned())>
            <RedPacketForm send=send_red_packet/>
        </Modal>
    }
}
