//! The rows of the message list: stored messages, my pending or failed ones and system
//! notices, in order, with a day separator above each day's first row and "Read" under my
//! newest message the peer has read.

use super::super::message::MessageView;
use super::super::sys_notice::SysNotice;
use super::actions::{MessageMenu, SelectBox};
use super::live::Live;
use crate::components::basics::{shown_name, ErrorText};
use crate::components::composer::Outbox;
use crate::error::ApiError;
use crate::i18n::{t, use_i18n};
use crate::ids::{Seq, UserId};
use crate::locale::{day_label, local_day, use_clock};
use crate::protocol::frame::{Cmd, Frame};
use crate::protocol::{Conv, ReadMark, User};
use crate::state::timeline::{self, Item, Timeline};
use chrono::NaiveDate;
use leptos::prelude::*;

/// A displayed row of the conversation: a stored message, or one of mine still pending or
/// failed (shown as the frame it will become).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Row {
    /// Tells rows apart across updates: `s<seq>`, `c<cid>` (pending) or `n<id>` (notice).
    pub key: String,
    frame: Frame,
    pending: Option<timeline::Status>,
    /// My newest message the peer has read (shows "Read" under it).
    pub read: bool,
    /// Set on a day's first message: the separator above it shows this day.
    pub day: Option<NaiveDate>,
    /// In a group, under my stored messages: how many others have read it.
    pub read_by: usize,
    /// Changes whenever what the row shows of its message changes (an edit, a reaction,
    /// a recall, a pin), so the list re-renders exactly that row.
    pub rev: u64,
    /// Continues the previous row's run: the same sender within [`RUN_GAP_MS`], so it shows
    /// without name and with less space above.
    pub cont: bool,
    /// Ends its run (the next row does not continue it): it carries the avatar and the time.
    pub ends: bool,
    /// A time line above this row, after a pause of [`PAUSE_MS`] within a day.
    pub pause: Option<i64>,
}

/// Messages of one sender closer than this form one run.
const RUN_GAP_MS: i64 = 5 * 60 * 1000;
/// A pause this long within a day gets a time line, as in Telegram and WeChat.
const PAUSE_MS: i64 = 15 * 60 * 1000;

/// A fingerprint of what can change on a stored message.
fn revision(f: &Frame) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        &f.content,
        f.edited,
        f.recalled_by,
        f.pinned_at,
        f.hidden,
        f.quote.as_ref().map(|q| q.recalled),
    )
        .hash(&mut h);
    for r in &f.reactions {
        r.emoji.hash(&mut h);
        for u in &r.users {
            u.0.hash(&mut h);
        }
    }
    h.finish()
}

/// The rows on screen: messages in seq order with the system notices placed by time; `now_ms` dates pending messages, `offset_min` is the
/// reader's clock.
#[allow(clippy::too_many_arguments)]
pub(super) fn rows(
    t: &Timeline,
    notices: &[Frame],
    me: UserId,
    conv: Conv,
    peer_read: Seq,
    marks: &[ReadMark],
    now_ms: i64,
    offset_min: i32,
) -> Vec<Row> {
    let mut rows: Vec<Row> = t
        .items()
        .map(|item| match item {
            Item::Stored(f) => Row {
                key: format!("s{}", f.seq),
                frame: f.clone(),
                pending: None,
                read: false,
                day: None,
                read_by: if matches!(conv, Conv::Group(_)) && f.userid == me.0 && f.recalled_by == 0
                {
                    marks
                        .iter()
                        .filter(|m| m.user != me && m.seq.0 >= f.seq)
                        .count()
                } else {
                    0
                },
                rev: revision(f),
                cont: false,
                ends: true,
                pause: None,
            },
            Item::Pending(p) => {
                let mut frame = Frame::message(conv, me, p.cid.as_str(), &p.body);
                p.decor.write_to(&mut frame);
                Row {
                    key: format!("c{}", p.cid),
                    frame,
                    pending: Some(p.status.clone()),
                    read: false,
                    day: None,
                    read_by: 0,
                    // Sending, then refused (or retried): the row shows its state, so it
                    // must be drawn again when the state changes.
                    rev: u64::from(matches!(p.status, timeline::Status::Failed { .. })),
                    cont: false,
                    ends: true,
                    pause: None,
                }
            }
        })
        .collect();
    for n in notices {
        let at = rows
            .iter()
            .position(|r| r.pending.is_some() || r.frame.ts > n.ts)
            .unwrap_or(rows.len());
        rows.insert(
            at,
            Row {
                key: format!("n{}", n.id),
                frame: n.clone(),
                pending: None,
                read: false,
                day: None,
                read_by: 0,
                rev: 0,
                cont: false,
                ends: true,
                pause: None,
            },
        );
    }
    let mut previous = None;
    for r in &mut rows {
        let ts = if r.frame.ts > 0 { r.frame.ts } else { now_ms };
        let day = local_day(ts, offset_min);
        if day != previous {
            r.day = day;
            previous = day;
        }
    }
    runs(&mut rows, now_ms);
    if matches!(conv, Conv::Private { .. }) {
        let newest_read = rows.iter_mut().rev().find(|r| {
            r.pending.is_none()
                && r.frame.cmd != Cmd::Notice.code()
                && r.frame.userid == me.0
                && Seq(r.frame.seq) <= peer_read
        });
        if let Some(r) = newest_read {
            r.read = true;
        }
    }
    rows
}

/// Marks runs of one sender's messages and the pauses that get a time line.
fn runs(rows: &mut [Row], now_ms: i64) {
    let is_message = |r: &Row| r.frame.cmd != Cmd::Notice.code() && r.frame.recalled_by == 0;
    let ts = |r: &Row| if r.frame.ts > 0 { r.frame.ts } else { now_ms };
    for i in 1..rows.len() {
        let (before, after) = rows.split_at_mut(i);
        let (prev, this) = (&before[i - 1], &mut after[0]);
        let gap = ts(this) - ts(prev);
        this.pause = (this.day.is_none() && gap >= PAUSE_MS).then(|| ts(this));
        this.cont = this.day.is_none()
            && this.pause.is_none()
            && is_message(prev)
            && is_message(this)
            && prev.frame.userid == this.frame.userid
            && gap < RUN_GAP_MS;
    }
    for i in 0..rows.len() {
        rows[i].ends = rows.get(i + 1).is_none_or(|next| !next.cont);
    }
}

/// One row as list items: its day separator, the message or notice, then its status line
/// (sending, failed with Retry, or read).
#[component]
pub(super) fn RowView(
    /// The row.
    row: Row,
    /// Who wrote what is on screen.
    senders: RwSignal<Vec<User>>,
    /// Who is reading.
    me: UserId,
    /// In a group, messages name their sender.
    in_group: bool,
    /// Where Retry sends a failed message again.
    outbox: Outbox,
    /// The open conversation (its menu acts on it).
    live: Live,
) -> impl IntoView {
    let i18n = use_i18n();
    let clock = use_clock();
    let from = row.frame.userid;
    let sender = Memo::new(move |_| senders.with(|s| s.iter().find(|u| u.id.0 == from).cloned()));
    // In a group, a message from someone I blocked folds to one line until I open it. Decided
    // once hydrated (the server renders before my block list is read).
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let blocked = crate::components::shell::use_shell().map(|s| s.blocked);
    let revealed = RwSignal::new(false);
    let folded = Memo::new(move |_| {
        in_group
            && from != me.0
            && hydrated.get()
            && !revealed.get()
            && blocked.is_some_and(|b| {
                b.with(|l| matches!(l, Some(Ok(l)) if l.iter().any(|u| u.id.0 == from)))
            })
    });
    let frame = row.frame.clone();
    let status = row.pending.clone();
    let read = row.read.then(|| {
        view! {
            <li class="msg-status mine read">{t!(i18n, read)}</li>
        }
    });
    let separator = row.day.map(|day| {
        let label = move || {
            let today = clock
                .and_then(|c| local_day(c.now_ms.get(), c.offset_min.get()))
                .unwrap_or(day);
            day_label(i18n.get_locale(), day, today)
        };
        view! { <li class="day-sep" role="separator"><span>{label}</span></li> }
    });
    let pause = row.pause.map(|ts| {
        let shown = move || {
            clock
                .map(|c| crate::locale::clock_time(ts, c.offset_min.get()))
                .unwrap_or_default()
        };
        view! { <li class="time-sep" role="separator"><span>{shown}</span></li> }
    });
    let (cont, ends) = (row.cont, row.ends);
    let cid = row.frame.cid.clone();
    let read_by = (row.read_by > 0).then(|| {
        let (n, seq) = (row.read_by, row.frame.seq);
        view! { <ReadBy count=n seq live/> }
    });
    // Stored messages have a menu; pending ones do not (nothing can be done to them yet).
    let menu_frame = (status.is_none() && frame.seq > 0 && frame.cmd != Cmd::Notice.code())
        .then(|| frame.clone());
    view! {
        {separator}
        {pause}
        {if frame.cmd == Cmd::Notice.code() {
            view! { <SysNotice notice=frame.clone() me/> }.into_any()
        } else {
            (move || {
                // While messages are being chosen, a check box takes the menu's place.
                let menu = menu_frame.clone().map(|f| {
                    ViewFn::from(move || {
                        let f = f.clone();
                        (move || if live.selecting.get() {
                            view! { <SelectBox seq=Seq(f.seq) live/> }.into_any()
                        } else {
                            view! { <MessageMenu frame=f.clone() live/> }.into_any()
                        }).into_any()
                    })
                });
                if folded.get() {
                    return view! {
                        <li class="msg blocked-msg">
                            <span>{t!(i18n, blocked_message)}</span>
                            <button type="button" class="small secondary"
                                on:click=move |_| revealed.set(true)>{t!(i18n, show_message)}</button>
                        </li>
                    }
                    .into_any();
                }
                view! { <MessageView frame=frame.clone() sender=sender.get() in_group me menu cont ends/> }.into_any()
            }).into_any()
        }}
        {status.map(|s| match s {
            timeline::Status::Pending => view! {
                <li class="msg-status mine" role="status">{t!(i18n, sending)}</li>
            }.into_any(),
            timeline::Status::Failed { code, msg } => view! {
                <li class="msg-status mine failed" role="alert">
                    <ErrorText error=ApiError::with_msg(code, msg)/>" "
                    <button type="button" class="small" on:click=move |_| outbox.retry(cid.clone())>{t!(i18n, retry)}</button>
                </li>
            }.into_any(),
        })}
        {read}
        {read_by}
    }
}

/// "Read by N" under my message in a group: a button that lists who has read it and who has
/// not (the members, asked for once when first opened).
#[component]
fn ReadBy(
    /// How many others have read it.
    count: usize,
    /// The message's seq.
    seq: i64,
    /// The open conversation (its read marks and members).
    live: Live,
) -> impl IntoView {
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    let members = RwSignal::new(None::<Vec<User>>);
    let toggle = move |_| {
        open.update(|o| *o = !*o);
        if let (Conv::Group(g), None) = (live.conv, members.get_untracked()) {
            leptos::task::spawn_local(async move {
                if let Ok(list) = crate::api::social::group_members(g).await {
                    members.set(Some(list.into_iter().map(|m| m.user).collect()));
                }
            });
        }
    };
    let lists = move || {
        if !open.get() {
            return None;
        }
        let all = members.get()?;
        let read: Vec<UserId> = live.read_marks.with(|marks| {
            marks
                .iter()
                .filter(|m| m.seq.0 >= seq && m.user != live.me)
                .map(|m| m.user)
                .collect()
        });
        let others: Vec<&User> = all.iter().filter(|u| u.id != live.me).collect();
        let names = |want: bool| {
            others
                .iter()
                .filter(|u| read.contains(&u.id) == want)
                .map(|u| shown_name(i18n.get_locale(), &u.nickname))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (yes, no) = (names(true), names(false));
        Some(view! {
            <div class="read-by-lists">
                <p><strong>{t!(i18n, read_by)}": "</strong><bdi>{yes}</bdi></p>
                {(!no.is_empty()).then(|| view! {
                    <p><strong>{t!(i18n, not_read_yet)}": "</strong><bdi>{no}</bdi></p>
                })}
            </div>
        })
    };
    view! {
        <li class="read-by mine">
            <button type="button" class="link-button" aria-expanded=move || open.get().to_string()
                on:click=toggle>{t!(i18n, read_by_n, count = count)}</button>
            {lists}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::ids::Cid;
    use crate::protocol::body::MessageBody;

    #[test]
    fn a_refused_message_is_a_new_row_revision() {
        let (me, peer) = (UserId(1), UserId(2));
        let conv = Conv::private(me, peer).unwrap();
        let mut t = Timeline::new(conv, me);
        let cid = Cid::new("b1").unwrap();
        let body = MessageBody::new(
            1,
            "hi".into(),
            String::new(),
            String::new(),
            String::new(),
            0,
        );
        t.add_pending(cid.clone(), body.unwrap(), 5);
        let shown = |t: &Timeline| {
            let r = rows(t, &[], me, conv, Seq(0), &[], 10, 0).remove(0);
            (r.key, r.rev)
        };
        let sending = shown(&t);
        assert!(t.fail(&cid, ErrorCode::Blocked, "no".into()));
        let failed = shown(&t);
        assert_eq!(sending.0, failed.0, "the same message");
        assert_ne!(
            sending.1, failed.1,
            "drawn again: it now says why and offers Retry"
        );
        assert!(t.retry(&cid));
        assert_eq!(shown(&t), sending);
    }
}
