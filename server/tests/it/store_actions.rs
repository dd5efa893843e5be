//! Store-level tests of actions on messages (issue 20) on SQLite, PostgreSQL and MariaDB:
//! each action's refusals (not the author, window passed, recalled, not allowed to pin),
//! idempotent resends by cid, gap-free seqs with actions interleaved, pages in current
//! state, recall erasing content and unreferenced uploads, reactions racing from 20 tasks,
//! unread counts and mentions that ignore actions.

use crate::common;

use app::error::ErrorCode;
use app::ids::{Cid, Seq, UserId};
use app::protocol::action::{Act, MENTION_ALL};
use app::protocol::body::MessageBody;
use app::protocol::Conv;
use server::store::actions::{Acted, Entry, NewAction, Rights};
use server::store::media::MediaRow;
use server::store::messages::{MessageExtras, NewMessage, Page, Stored};
use server::store::users::NewUser;
use server::store::{Store, StoreError};

async fn user(s: &Store, name: &str) -> UserId {
    s.create_user(NewUser {
        username: name.to_owned(),
        nickname: name.to_owned(),
        password_hash: "x".to_owned(),
        now_ms: 1,
    })
    .await
    .unwrap()
    .id
}

fn body(text: &str) -> MessageBody {
    MessageBody::new(
        1,
        text.to_owned(),
        String::new(),
        String::new(),
        String::new(),
        0,
    )
    .unwrap()
}

async fn send(s: &Store, conv: Conv, from: UserId, cid: &str, text: &str, now: i64) -> Seq {
    send_with(
        s,
        conv,
        from,
        cid,
        body(text),
        now,
        MessageExtras::default(),
    )
    .await
}

async fn send_with(
    s: &Store,
    conv: Conv,
    from: UserId,
    cid: &str,
    body: MessageBody,
    now: i64,
    extras: MessageExtras,
) -> Seq {
    let new = NewMessage {
        conv,
        sender: from,
        cid: Cid::new(cid).unwrap(),
        body,
        now_ms: now,
        extras,
    };
    match s.store_message(new, None).await.unwrap() {
        Stored::New(m) => m.seq,
        Stored::Duplicate(m) => panic!("duplicate {m:?}"),
    }
}

const ANYONE: Rights = Rights {
    edit_window_ms: 60_000,
    recall_window_ms: 60_000,
    moderator: false,
    may_pin: true,
};

fn action(
    conv: Conv,
    actor: UserId,
    cid: &str,
    act: Act,
    target: Seq,
    content: &str,
    now: i64,
) -> NewAction {
    NewAction {
        conv,
        actor,
        cid: Cid::new(cid).unwrap(),
        act,
        target,
        content: content.to_owned(),
        now_ms: now,
        rights: ANYONE,
    }
}

fn refused(r: Result<Acted, StoreError>) -> ErrorCode {
    match r {
        Err(StoreError::Refused(code)) => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn new_seq(r: Result<Acted, StoreError>) -> Seq {
    match r.unwrap() {
        Acted::New { event, .. } => event.seq,
        Acted::Duplicate(e) => panic!("unexpected duplicate {e:?}"),
    }
}

#[tokio::test]
async fn each_action_is_refused_where_it_must_be_and_changes_nothing() {
    for db in common::databases().await {
        let s = db.store.clone();
        let (a, b) = (user(&s, "ann").await, user(&s, "bob").await);
        let conv = Conv::private(a, b).unwrap();
        let first = send(&s, conv, a, "m1", "hello", 1_000).await;
        let picture = MessageBody::new(
            4,
            String::new(),
            String::new(),
            "https://example.com/a.png".into(),
            String::new(),
            0,
        )
        .unwrap();
        let pic = send_with(&s, conv, a, "m2", picture, 1_000, Default::default()).await;

        // Not the author.
        let edit = action(conv, b, "e1", Act::Edit, first, "mine now", 2_000);
        assert_eq!(refused(s.store_action(edit).await), ErrorCode::NotAuthor);
        let recall = action(conv, b, "r1", Act::Recall, first, "", 2_000);
        assert_eq!(refused(s.store_action(recall).await), ErrorCode::NotAuthor);
        // Only text is edited.
        let edit = action(conv, a, "e2", Act::Edit, pic, "x", 2_000);
        assert_eq!(
            refused(s.store_action(edit).await),
            ErrorCode::InvalidPayload
        );
        // Windows: just inside, then past; and editing turned off.
        let late = action(conv, a, "e3", Act::Edit, first, "late", 1_000 + 60_001);
        assert_eq!(
            refused(s.store_action(late).await),
            ErrorCode::EditWindowPassed
        );
        let mut off = action(conv, a, "e4", Act::Edit, first, "off", 1_001);
        off.rights.edit_window_ms = 0;
        assert_eq!(
            refused(s.store_action(off).await),
            ErrorCode::EditWindowPassed
        );
        let late = action(conv, a, "r2", Act::Recall, first, "", 1_000 + 60_001);
        assert_eq!(
            refused(s.store_action(late).await),
            ErrorCode::RecallWindowPassed
        );
        // No such message; an action is not a message either.
        let nothing = action(conv, a, "x1", Act::React, Seq(99), "👍", 2_000);
        assert_eq!(refused(s.store_action(nothing).await), ErrorCode::NotFound);
        let react = action(conv, b, "k1", Act::React, first, "👍", 2_000);
        let event_seq = new_seq(s.store_action(react).await);
        let on_event = action(conv, b, "k2", Act::React, event_seq, "👍", 2_000);
        assert_eq!(refused(s.store_action(on_event).await), ErrorCode::NotFound);
        // Pinning without the right.
        let mut pin = action(conv, b, "p1", Act::Pin, first, "", 2_000);
        pin.rights.may_pin = false;
        assert_eq!(refused(s.store_action(pin).await), ErrorCode::Forbidden);
        // None of the refusals took a seq or changed the message.
        let page = s.timeline(conv, Page::Latest, 50, b).await.unwrap();
        let seqs: Vec<i64> = page.iter().map(|e| e.seq().0).collect();
        assert_eq!(seqs, vec![1, 2, 3]);
        let Entry::Message(m) = &page[0] else {
            panic!("{page:?}")
        };
        assert_eq!(m.message.body.content, "hello");
        assert_eq!(m.message.state.edited_at, None);
        // A group's owner (moderator) may recall anyone's message at any time.
        let mut moderator = action(conv, b, "r3", Act::Recall, first, "", 9_999_999);
        moderator.rights.moderator = true;
        new_seq(s.store_action(moderator).await);
        // After a recall, nothing more can be done to it.
        for (i, act) in [Act::Edit, Act::React, Act::Pin, Act::Recall]
            .into_iter()
            .enumerate()
        {
            let again = action(conv, a, &format!("z{i}"), act, first, "👍", 1_001);
            assert_eq!(refused(s.store_action(again).await), ErrorCode::Recalled);
        }
        db.cleanup().await;
    }
}

#[tokio::test]
async fn actions_take_gap_free_seqs_and_resends_change_nothing() {
    for db in common::databases().await {
        let s = db.store.clone();
        let (a, b) = (user(&s, "ann").await, user(&s, "bob").await);
        let g = Conv::group(app::ids::GroupId(7));
        let m1 = send(&s, g, a, "m1", "first", 1_000).await;
        let e1 = new_seq(
            s.store_action(action(g, a, "e1", Act::Edit, m1, "first!", 1_100))
                .await,
        );
        let m2 = send(&s, g, b, "m2", "second", 1_200).await;
        let r1 = new_seq(
            s.store_action(action(g, b, "k1", Act::React, m1, "🎉", 1_300))
                .await,
        );
        let p1 = new_seq(
            s.store_action(action(g, b, "p1", Act::Pin, m2, "", 1_400))
                .await,
        );
        assert_eq!(
            [m1, e1, m2, r1, p1].map(|s| s.0),
            [1, 2, 3, 4, 5],
            "one seq each, in order"
        );
        // Every action resent by cid: the same event, no new seq, no second effect.
        for (actor, cid, act, target, content) in [
            (a, "e1", Act::Edit, m1, "first!"),
            (b, "k1", Act::React, m1, "🎉"),
            (b, "p1", Act::Pin, m2, ""),
        ] {
            match s
                .store_action(action(g, actor, cid, act, target, content, 5_000))
                .await
                .unwrap()
            {
                Acted::Duplicate(e) => assert_eq!((e.act, e.target), (act, target)),
                other => panic!("{cid}: {other:?}"),
            }
        }
        // A cid names one thing: a message's cid cannot be an action's, in any conversation.
        let clash = action(g, a, "m1", Act::React, m1, "👍", 5_000);
        assert_eq!(refused(s.store_action(clash).await), ErrorCode::CidConflict);
        let other = Conv::group(app::ids::GroupId(8));
        send(&s, other, a, "o1", "elsewhere", 1_000).await;
        let moved = action(other, b, "k1", Act::React, Seq(1), "👍", 5_000);
        assert_eq!(refused(s.store_action(moved).await), ErrorCode::CidConflict);
        let reuse = NewMessage {
            conv: g,
            sender: b,
            cid: Cid::new("k1").unwrap(),
            body: body("not an action"),
            now_ms: 5_000,
            extras: Default::default(),
        };
        assert!(matches!(
            s.store_message(reuse.clone(), None).await,
            Err(StoreError::Refused(ErrorCode::CidConflict))
        ));
        let batch = s
            .store_messages(&[server::store::batch::Pending {
                new: reuse,
                allowance: None,
            }])
            .await;
        assert!(
            matches!(
                batch.as_slice(),
                [Err(StoreError::Refused(ErrorCode::CidConflict))]
            ),
            "{batch:?}"
        );

        // The page: messages in their current state, events in between, an edit showing
        // the text its message has now.
        let page = s.timeline(g, Page::After(0), 50, a).await.unwrap();
        assert_eq!(page.len(), 5);
        let Entry::Message(first) = &page[0] else {
            panic!()
        };
        assert_eq!(first.message.body.content, "first!");
        assert_eq!(first.message.state.edited_at, Some(1_100));
        assert_eq!(first.reactions.len(), 1);
        assert_eq!(first.reactions[0].users, vec![b]);
        let Entry::Message(second) = &page[2] else {
            panic!()
        };
        assert_eq!(second.message.state.pinned, Some((1_400, b)));
        let Entry::Event(edit) = &page[1] else {
            panic!()
        };
        assert_eq!((edit.act, edit.content.as_str()), (Act::Edit, "first!"));
        // A second edit: the first edit's event now also shows only the newest text.
        new_seq(
            s.store_action(action(g, a, "e2", Act::Edit, m1, "final", 1_500))
                .await,
        );
        let page = s.timeline(g, Page::After(0), 50, b).await.unwrap();
        for e in &page {
            if let Entry::Event(ev) = e {
                assert_ne!(ev.content, "first!", "an earlier text is served to nobody");
            }
        }
        assert_eq!(s.pins(g, 10).await.unwrap().len(), 1);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn reactions_from_twenty_racing_tasks_end_in_exact_counts() {
    for db in common::databases().await {
        let s = db.store.clone();
        let mut people = Vec::new();
        for i in 0..20 {
            people.push(user(&s, &format!("u{i}")).await);
        }
        let g = Conv::group(app::ids::GroupId(3));
        let target = send(&s, g, people[0], "m", "react to me", 1_000).await;
        // Everyone reacts 👍 and ❤️, and the even ones then take their 👍 back, all at once.
        let tasks: Vec<_> = people
            .iter()
            .enumerate()
            .map(|(i, &u)| {
                let s = s.clone();
                tokio::spawn(async move {
                    for (n, (act, emoji)) in [
                        (Act::React, "👍"),
                        (Act::React, "❤️"),
                        (Act::Unreact, if i % 2 == 0 { "👍" } else { "🙈" }),
                    ]
                    .into_iter()
                    .enumerate()
                    {
                        let a = action(g, u, &format!("{i}-{n}"), act, target, emoji, 2_000);
                        s.store_action(a).await.unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let page = s.timeline(g, Page::After(0), 100, people[0]).await.unwrap();
        // Gap-free: one message and 60 events.
        let seqs: Vec<i64> = page.iter().map(|e| e.seq().0).collect();
        assert_eq!(seqs, (1..=61).collect::<Vec<_>>());
        let Entry::Message(m) = &page[0] else {
            panic!()
        };
        let count = |emoji: &str| {
            m.reactions
                .iter()
                .find(|r| r.emoji == emoji)
                .map_or(0, |r| r.users.len())
        };
        assert_eq!((count("👍"), count("❤️"), count("🙈")), (10, 20, 0));
        db.cleanup().await;
    }
}

#[tokio::test]
async fn recall_erases_content_reactions_mentions_and_unreferenced_uploads() {
    for db in common::databases().await {
        let s = db.store.clone();
        let (a, b) = (user(&s, "ann").await, user(&s, "bob").await);
        let g = Conv::group(app::ids::GroupId(4));
        let row = |key: &str| MediaRow {
            key: key.to_owned(),
            owner: a,
            mime: "image/png".into(),
            size: 10,
            sha256: "0".repeat(64),
            width: 1,
            height: 1,
            created_at: 1,
        };
        s.add_media(&[row("full.png"), row("thumb.png"), row("kept.png")])
            .await
            .unwrap();
        let picture = |url: &str, pic: &str| {
            MessageBody::new(4, String::new(), pic.into(), url.into(), String::new(), 0).unwrap()
        };
        let sent = send_with(
            &s,
            g,
            a,
            "img",
            picture("/media/full.png", "/media/thumb.png"),
            1_000,
            MessageExtras {
                mentions: vec![b, MENTION_ALL],
                ..Default::default()
            },
        )
        .await;
        // The same upload in another message (a forward) keeps it alive.
        send_with(
            &s,
            Conv::group(app::ids::GroupId(5)),
            a,
            "fwd",
            picture("/media/kept.png", "/media/kept.png"),
            1_000,
            Default::default(),
        )
        .await;
        let also = send_with(
            &s,
            g,
            a,
            "img2",
            picture("/media/kept.png", "/media/kept.png"),
            1_000,
            Default::default(),
        )
        .await;
        let reply = send_with(
            &s,
            g,
            b,
            "re",
            body("nice"),
            1_100,
            MessageExtras {
                reply_to: Some(sent),
                ..Default::default()
            },
        )
        .await;
        new_seq(
            s.store_action(action(g, b, "k", Act::React, sent, "👍", 1_200))
                .await,
        );
        let recall = s
            .store_action(action(g, a, "r", Act::Recall, sent, "", 1_300))
            .await
            .unwrap();
        let Acted::New { freed_media, .. } = recall else {
            panic!("{recall:?}")
        };
        let mut freed = freed_media.clone();
        freed.sort();
        assert_eq!(freed, vec!["full.png".to_owned(), "thumb.png".to_owned()]);
        assert!(s.media("full.png").await.unwrap().is_none());
        assert!(s.media("kept.png").await.unwrap().is_some());
        let r2 = s
            .store_action(action(g, a, "r2", Act::Recall, also, "", 1_300))
            .await
            .unwrap();
        let Acted::New { freed_media, .. } = r2 else {
            panic!()
        };
        assert!(freed_media.is_empty(), "still in the forward");

        let page = s.timeline(g, Page::After(0), 50, b).await.unwrap();
        let Entry::Message(gone) = &page[0] else {
            panic!()
        };
        assert_eq!(gone.message.state.recalled_by, Some(a));
        assert!(gone.message.body.url.is_empty() && gone.message.body.pic.is_empty());
        assert!(gone.message.extras.mentions.is_empty());
        assert!(gone.reactions.is_empty());
        let replied = page
            .iter()
            .find_map(|e| match e {
                Entry::Message(v) if v.message.seq == reply => Some(v),
                _ => None,
            })
            .unwrap();
        let quote = replied.quote.as_ref().unwrap();
        assert!(quote.recalled && quote.content.is_empty());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn unread_counts_messages_not_actions_and_mentions_flag_the_list() {
    for db in common::databases().await {
        let s = db.store.clone();
        let (a, b) = (user(&s, "ann").await, user(&s, "bob").await);
        let p = Conv::private(a, b).unwrap();
        let m1 = send(&s, p, a, "m1", "one", 1_000).await;
        send(&s, p, a, "m2", "two", 1_001).await;
        for (i, emoji) in ["👍", "🎉", "😀"].iter().enumerate() {
            new_seq(
                s.store_action(action(p, a, &format!("k{i}"), Act::React, m1, emoji, 1_100))
                    .await,
            );
        }
        new_seq(
            s.store_action(action(p, a, "e", Act::Edit, m1, "uno", 1_200))
                .await,
        );
        let listed = s.conversation_list(b).await.unwrap();
        assert_eq!(listed[0].unread, 2, "two messages, not six seqs");
        assert_eq!(listed[0].last_seq, 6);
        assert_eq!(listed[0].last.as_ref().unwrap().body.content, "two");
        assert_eq!(s.conversation_list(a).await.unwrap()[0].unread, 0);
        // The list's order follows messages only: a reaction does not bring it up.
        assert_eq!(listed[0].updated_at, 1_001);

        // Mentions: in a group, for who is named (or everyone), until read.
        let (ua, ub) = (
            s.user(a).await.unwrap().unwrap(),
            s.user(b).await.unwrap().unwrap(),
        );
        let c = user(&s, "cy").await;
        let uc = s.user(c).await.unwrap().unwrap();
        let group = s
            .create_group(
                &ua,
                server::store::groups::NewGroup {
                    name: "club".into(),
                    icon: String::new(),
                    memo: String::new(),
                },
                10,
                1,
            )
            .await
            .unwrap();
        for u in [&ub, &uc] {
            s.join_group(group.id, u, 10, server::rules::social::word, 1)
                .await
                .unwrap();
        }
        let g = Conv::group(group.id);
        send_with(
            &s,
            g,
            a,
            "g1",
            body("@bob look"),
            2_000,
            MessageExtras {
                mentions: vec![b],
                ..Default::default()
            },
        )
        .await;
        let flagged = |list: Vec<server::store::messages::ListedConv>| {
            list.into_iter()
                .find(|l| l.conv == g)
                .map(|l| (l.unread, l.mentioned))
        };
        assert_eq!(
            flagged(s.conversation_list(b).await.unwrap()),
            Some((1, true))
        );
        assert_eq!(
            flagged(s.conversation_list(c).await.unwrap()),
            Some((1, false))
        );
        assert_eq!(
            flagged(s.conversation_list(a).await.unwrap()),
            Some((0, false))
        );
        let all = send_with(
            &s,
            g,
            a,
            "g2",
            body("@all meeting"),
            2_100,
            MessageExtras {
                mentions: vec![MENTION_ALL],
                ..Default::default()
            },
        )
        .await;
        assert_eq!(
            flagged(s.conversation_list(c).await.unwrap()),
            Some((2, true))
        );
        s.mark_read(g, b, all.0).await.unwrap();
        assert_eq!(
            flagged(s.conversation_list(b).await.unwrap()),
            Some((0, false))
        );
        db.cleanup().await;
    }
}
