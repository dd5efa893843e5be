//! The conversation pane: it loads the conversation in the address, then the loaded view
//! owns the conversation's state and lays out its header, messages and composer.

use super::actions::{ForwardDialog, ReactionPicker, SelectionBar};
use super::drop::FileDrop;
use super::header::ConvHeader;
use super::live::Live;
use super::message_list::ListScroll;
use super::messages::MessageArea;
use super::pins::PinnedBar;
use super::report::ReportDialog;
use super::stranger::StrangerBar;
use crate::api::chat::load_conversation;
use crate::components::basics::ErrorText;
use crate::components::composer::{Attachments, ComposeHooks, Composer, Outbox};
use crate::components::lightbox::{Lightbox, LightboxContext};
use crate::components::message::BubbleContext;
use crate::components::shell::use_shell;
use crate::i18n::{t, use_i18n};
use crate::ids::{Seq, UserId};
use crate::protocol::action::Act;
use crate::protocol::{Conv, OpenConversation};
use leptos::prelude::*;

/// The pane for the conversation in the address.
#[component]
pub fn ConversationPane(
    /// The open conversation.
    conv: Conv,
) -> impl IntoView {
    let Some(shell) = use_shell() else {
        return ().into_any();
    };
    let data = Resource::new(move || conv, |c| load_conversation(c.key(), None));
    let i18n = use_i18n();
    view! {
        <Suspense fallback=move || view! { <p class="empty">{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(open) => view! { <ConversationView open me=shell.me/> }.into_any(),
                    Err(e) => view! {
                        <p class="empty" role="alert"><ErrorText error=e/></p>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

/// A loaded conversation: header, messages (live), composer.
#[component]
fn ConversationView(open: OpenConversation, me: UserId) -> impl IntoView {
    let conv = open.conv;
    let live = Live::new(&open, me);
    let scroll = ListScroll::new(conv, live.timeline, live.senders, live.notices);
    let full_image = RwSignal::new(None);
    provide_context(LightboxContext(full_image));
    live.follow(scroll);
    scroll.start();

    let outbox = Outbox::new(conv, me, live.timeline);
    // Attachments carry their own cid from the moment their upload starts.
    let attachments = Attachments::new(Callback::new(move |(id, body)| outbox.send(id, body)));
    on_cleanup(move || attachments.close());
    // A new upload of mine brings the list down to it, as a sent message does.
    Effect::new(move |seen: Option<usize>| {
        let n = attachments.jobs.with(Vec::len);
        if seen.is_some_and(|s| n > s) {
            scroll.show_mine();
        }
        n
    });
    let drop = FileDrop::new(attachments);
    provide_context(BubbleContext {
        people: live.senders,
        toggle_reaction: Callback::new(move |(seq, emoji): (i64, String)| {
            let mine = live.timeline.with_untracked(|t| {
                t.get(Seq(seq)).is_some_and(|f| {
                    f.reactions
                        .iter()
                        .any(|r| r.emoji == emoji && r.users.contains(&me))
                })
            });
            let act = if mine { Act::Unreact } else { Act::React };
            live.act(act, Seq(seq), emoji);
        }),
        jump: Callback::new(move |seq| scroll.jump_to(seq)),
    });
    let compose = ComposeHooks {
        mode: live.draft_mode,
        edit: Callback::new(move |(seq, text): (Seq, String)| live.act(Act::Edit, seq, text)),
        last_mine: Callback::new(move |()| {
            let window = live.rights.get_value().edit_ms;
            live.timeline
                .with_untracked(|t| t.my_last_text().cloned())
                .filter(|f| window > 0 && crate::locale::now_ms() - f.ts < window)
        }),
        people: live.senders,
        error: live.action_error,
        may_mention_all: Callback::new(move |()| live.rights.get_value().owner),
        me,
    };
    view! {
        <div class="conversation" class:dropping=move || drop.dropping.get()
            on:dragenter=move |ev| drop.on_enter(ev) on:dragover=move |ev| drop.on_over(ev)
            on:dragleave=move |_| drop.on_leave() on:drop=move |ev| drop.on_drop(ev)>
            <ConvHeader title=open.title.clone() avatar=open.avatar.clone() counted=open.member_count.is_some() live/>
            {conv.peer_of(me).map(|peer| view! { <StrangerBar peer name=open.title.clone()/> })}
            <PinnedBar live scroll/>
            <MessageArea live scroll attachments outbox/>
            <Lightbox image=full_image/>
            <ForwardDialog live/>
            <ReportDialog live/>
            <ReactionPicker live/>
            <SelectionBar live/>
            // The composer keeps its draft while messages are being chosen, out of sight.
            <div class="compose-area" class:away=move || live.selecting.get()>
                <Composer conv peer=conv.peer_of(me) next_cid=open.next_cid.clone() outbox attachments compose/>
            </div>
        </div>
    }
}
