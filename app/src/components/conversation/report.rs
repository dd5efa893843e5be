//! Reporting a message to the site's admins: the menu's "Report" opens this dialog, which
//! asks why and sends the report (the server keeps the message's words with it).

use super::live::Live;
use crate::api::people::report;
use crate::components::basics::ErrorText;
use crate::components::dialog::Modal;
use crate::i18n::{t, td_string, use_i18n};
use crate::ids::UserId;
use crate::protocol::people::{ReportRequest, MAX_REASON_CHARS};
use leptos::prelude::*;

/// The dialog; open while `live.reporting` names a message.
#[component]
pub(super) fn ReportDialog(live: Live) -> impl IntoView {
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let sent = RwSignal::new(false);
    Effect::new(move |_| {
        if live.reporting.with(Option::is_some) {
            sent.set(false);
            open.set(true);
        }
    });
    let send = Action::new(move |_: &()| async move {
        let Some(f) = live.reporting.get_untracked() else {
            return Ok(());
        };
        report(ReportRequest {
            user_id: UserId(f.userid),
            conv: Some(live.conv.key()),
            seq: Some(f.seq),
            reason: reason.get_untracked(),
        })
        .await
        .map(|_| {
            reason.set(String::new());
            sent.set(true);
        })
    });
    let error = move || match send.value().get() {
        Some(Err(error)) => {
            Some(view! { <p class="form-error" role="alert"><ErrorText error/></p> })
        }
        _ => None,
    };
    view! {
        <Modal open title=Signal::derive(move || td_string!(i18n.get_locale(), report_message).to_owned())>
            {move || if sent.get() {
                view! { <p class="report-done" role="status">{t!(i18n, report_sent)}</p> }.into_any()
            } else {
                view! {
                    <form class="report-form" on:submit=move |ev| {
                        ev.prevent_default();
                        send.dispatch(());
                    }>
                        <label>
                            <span>{t!(i18n, report_reason)}</span>
                            <textarea name="reason" rows="4" required autofocus maxlength=MAX_REASON_CHARS
                                prop:value=move || reason.get()
                                on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                        </label>
                        {error}
                        <button type="submit" disabled=move || send.pending().get()>{t!(i18n, report_send)}</button>
                    </form>
                }
                .into_any()
            }}
        </Modal>
    }
}
