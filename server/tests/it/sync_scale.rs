//! The conversation list (what a reconnecting client syncs from) at scale, on SQLite and
//! (when configured) PostgreSQL: one user with 1,000 conversations (990 peers, 10 groups)
//! gets every one of them with the right title, counters and last message, in as many SQL
//! statements as with 10; and the migration that made this possible backfills existing data.

use crate::common;

use app::ids::UserId;
use app::protocol::body::MessageBody;
use app::protocol::{Conv, User};
use sea_orm::{ConnectionTrait, Statement};
use server::delivery::cluster::SingleNode;
use server::delivery::hub::Hub;
use server::delivery::registry::Limits;
use server::delivery::{presence, Delivery};
use server::rules::chat::{Chat, ConversationSummary};
use server::rules::social::word;
use server::store::groups::NewGroup;
use server::store::messages::NewMessage;
use server::store::users::NewUser;
use server::store::Store;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Every hundredth conversation (5, 105, ...) is a group: 10 of the 1,000.
fn is_group(i: usize) -> bool {
    i % 100 == 5
}

/// Conversation `i` was last active at this instant, so the list is `i` descending.
fn at(i: usize) -> i64 {
    10_000 + i64::try_from(i).unwrap()
}

/// What the list must say about one conversation.
#[derive(Debug, PartialEq, Eq)]
struct Row {
    conv: String,
    title: String,
    avatar: String,
    last_seq: i64,
    read_seq: i64,
    unread: i64,
    last_content: String,
    last_sender: i64,
}

impl From<&ConversationSummary> for Row {
    fn from(s: &ConversationSummary) -> Row {
        let last = s.last.as_ref().unwrap();
        Row {
            conv: s.conv.key(),
            title: s.title.clone(),
            avatar: s.avatar.clone(),
            last_seq: s.last_seq.0,
            read_seq: s.read_seq.0,
            unread: s.unread,
            last_content: last.content.clone(),
            last_sender: last.userid,
        }
    }
}

fn message(conv: Conv, sender: UserId, cid: String, now_ms: i64) -> NewMessage {
    NewMessage {
        conv,
        sender,
        body: MessageBody::new(
            1,
            cid.clone(),
            String::new(),
            String::new(),
            String::new(),
            0,
        )
        .unwrap(),
        cid: app::ids::Cid::new(cid).unwrap(),
        now_ms,
        extras: Default::default(),
    }
}

async fn user(s: &Store, name: &str) -> User {
    s.create_user(NewUser {
        username: name.to_owned(),
        nickname: format!("Nick {name}"),
        password_hash: "x".to_owned(),
        now_ms: 1,
    })
    .await
    .unwrap()
}

/// The user whose list is checked, the owner of the groups, and what the list must hold.
struct World {
    me: User,
    owner: User,
    expected: Vec<Row>,
}

impl World {
    async fn new(s: &Store) -> World {
        World {
            me: user(s, "me").await,
            owner: user(s, "owner").await,
            expected: Vec::new(),
        }
    }

    /// Adds conversations `range` to `me`'s list. A 1:1 `i` holds one message of mine
    /// (`i % 3 == 0`, nothing unread) or `i % 3` messages of the peer's; a group holds two
    /// of its owner's messages, of which I have read one.
    async fn grow(&mut self, s: &Store, range: std::ops::Range<usize>) {
        for i in range {
            let now = at(i);
            if is_group(i) {
                let g = s
                    .create_group(
                        &self.owner,
                        NewGroup {
                            name: format!("Group {i}"),
                            icon: format!("/icons/{i}.png"),
                            memo: String::new(),
                        },
                        1_000,
                        now,
                    )
                    .await
                    .unwrap();
                s.join_group(g.id, &self.me, 1_000, word, now)
                    .await
                    .unwrap();
                let conv = Conv::group(g.id);
                for n in 1..=2 {
                    s.store_message(message(conv, self.owner.id, format!("g{i}-{n}"), now), None)
                        .await
                        .unwrap();
                }
                s.mark_read(conv, self.me.id, 1).await.unwrap();
                self.expected.push(Row {
                    conv: conv.key(),
                    title: format!("Group {i}"),
                    avatar: format!("/icons/{i}.png"),
                    last_seq: 2,
                    read_seq: 1,
                    unread: 1,
                    last_content: format!("g{i}-2"),
                    last_sender: self.owner.id.0,
                });
                continue;
            }
            let peer = user(s, &format!("peer{i}")).await;
            let avatar = if i % 7 == 0 {
                let avatar = format!("/avatars/{i}.png");
                s.update_profile(peer.id, None, Some(avatar.clone()), None)
                    .await
                    .unwrap();
                avatar
            } else {
                String::new()
            };
            let conv = Conv::private(self.me.id, peer.id).unwrap();
            let (sender, count) = match i % 3 {
                0 => (self.me.id, 1),
                n => (peer.id, n),
            };
            for n in 1..=count {
                s.store_message(message(conv, sender, format!("p{i}-{n}"), now), None)
                    .await
                    .unwrap();
            }
            let last_seq = i64::try_from(count).unwrap();
            let read_seq = if sender == self.me.id { last_seq } else { 0 };
            self.expected.push(Row {
                conv: conv.key(),
                title: format!("Nick peer{i}"),
                avatar,
                last_seq,
                read_seq,
                unread: last_seq - read_seq,
                last_content: format!("p{i}-{count}"),
                last_sender: sender.0,
            });
        }
        // Newest activity first.
        self.expected
            .sort_by_key(|r| std::cmp::Reverse(r.conv_index()));
    }
}

impl Row {
    /// Which `i` this row was built from (its title or content carries it).
    fn conv_index(&self) -> usize {
        let digits: String = self
            .last_content
            .chars()
            .skip(1)
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().unwrap()
    }
}

/// Conversations that must not show up in `me`'s list: others' 1:1s and groups, a group of
/// mine without messages.
async fn noise(s: &Store, w: &World) {
    let (x, y) = (user(s, "x").await, user(s, "y").await);
    let xy = Conv::private(x.id, y.id).unwrap();
    s.store_message(message(xy, x.id, "noise-1".to_owned(), at(5_000)), None)
        .await
        .unwrap();
    let theirs = s.create_group(&x, group("theirs"), 10, 1).await.unwrap();
    s.store_message(
        message(
            Conv::group(theirs.id),
            x.id,
            "noise-2".to_owned(),
            at(5_000),
        ),
        None,
    )
    .await
    .unwrap();
    let quiet = s
        .create_group(&w.owner, group("quiet"), 1_000, 1)
        .await
        .unwrap();
    s.join_group(quiet.id, &w.me, 1_000, word, 1).await.unwrap();
}

fn group(name: &str) -> NewGroup {
    NewGroup {
        name: name.to_owned(),
        icon: String::new(),
        memo: String::new(),
    }
}

fn chat_over(store: Store) -> Chat {
    let hub = Arc::new(Hub::new(Limits::default(), presence::channel().0));
    let delivery = Delivery::new(hub, Arc::new(SingleNode), Arc::default());
    let dir = std::env::temp_dir().join(format!("parley-sync-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let storage = server::media::Storage::open(&server::config::StorageConfig::Local(dir)).unwrap();
    Chat::new(
        store,
        delivery,
        server::config::Persistence::Durable,
        server::config::ActionLimits::default(),
        storage,
    )
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Checks `me`'s list against what was stored; returns how many SQL statements it took.
async fn check(chat: &Chat, statements: &AtomicUsize, w: &World, label: &str) -> usize {
    let before = statements.load(Ordering::SeqCst);
    let list = chat.conversations(w.me.id).await.unwrap();
    let ran = statements.load(Ordering::SeqCst) - before;
    let got: Vec<Row> = list.iter().map(Row::from).collect();
    assert_eq!(got.len(), w.expected.len(), "{label}");
    for (g, e) in got.iter().zip(&w.expected) {
        assert_eq!(g, e, "{label}");
    }
    ran
}

#[tokio::test]
async fn a_thousand_conversations_sync_complete_in_as_many_statements_as_ten() {
    for db in common::databases().await {
        let s = &db.store;
        let statements = Arc::new(AtomicUsize::new(0));
        let mut counted = s.clone();
        let tally = statements.clone();
        counted.observe_statements(move |_| {
            tally.fetch_add(1, Ordering::SeqCst);
        });
        let chat = chat_over(counted);

        let mut w = World::new(s).await;
        noise(s, &w).await;
        w.grow(s, 0..10).await;
        let with_10 = check(&chat, &statements, &w, db.label).await;

        let started = Instant::now();
        w.grow(s, 10..1_000).await;
        println!(
            "{}: 990 more conversations stored in {:?}",
            db.label,
            started.elapsed()
        );
        assert_eq!(
            w.expected
                .iter()
                .filter(|r| r.conv.starts_with("g:"))
                .count(),
            10
        );
        // A read mark past the end (the store never writes one) still reads as the end.
        let oldest = &w.expected[w.expected.len() - 1];
        assert_eq!((oldest.conv_index(), oldest.read_seq), (0, 1));
        db.raw
            .execute_unprepared(&format!(
                "UPDATE conv_reads SET read_seq = 999 WHERE conv = '{}' AND user_id = {}",
                oldest.conv, w.me.id
            ))
            .await
            .unwrap();
        let with_1000 = check(&chat, &statements, &w, db.label).await;
        assert_eq!(
            with_10, with_1000,
            "{}: statements for 10 conversations vs 1,000",
            db.label
        );

        let mut times = Vec::new();
        for _ in 0..7 {
            let t = Instant::now();
            let list = chat.conversations(w.me.id).await.unwrap();
            times.push(t.elapsed());
            assert_eq!(list.len(), 1_000);
        }
        println!(
            "{}: sync of 1,000 conversations in {with_1000} statements, median of 7: {:?} \
             (all: {times:?})",
            db.label,
            median(times.clone())
        );
        db.cleanup().await;
    }
}

async fn scalar(db: &common::TestDb, sql: &str) -> Option<i64> {
    let row = db
        .raw
        .query_one(Statement::from_string(
            db.raw.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<Option<i64>>("", "n").unwrap()
}

/// A user row in the schema of the first migrations (no privacy columns yet).
async fn old_user(db: &common::TestDb, id: i64, name: &str) -> User {
    insert_rows(
        db,
        "users (id, username, username_key, nickname, avatar, password_hash, created_at, \
         owned_groups)",
        &[format!(
            "({id}, '{name}', '{name}', 'Nick {name}', '', 'x', 1, 0)"
        )],
    )
    .await;
    User {
        id: app::ids::UserId(id),
        username: name.to_owned(),
        nickname: format!("Nick {name}"),
        avatar: String::new(),
        status: String::new(),
    }
}

/// Runs `rows` (SQL value tuples) as multi-row inserts into `into`, a few hundred at a time.
async fn insert_rows(db: &common::TestDb, into: &str, rows: &[String]) {
    for chunk in rows.chunks(300) {
        db.raw
            .execute_unprepared(&format!("INSERT INTO {into} VALUES {}", chunk.join(", ")))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_participants_migration_backfills_existing_conversations() {
    for db in common::databases_migrated(Some(3)).await {
        let s = &db.store;
        // Written before the migration, as that schema held them: the users (their table
        // gained columns since), the group, the membership, conversations, messages and
        // read marks.
        let (me, ann, bob) = (
            old_user(&db, 9_001, "me").await,
            old_user(&db, 9_002, "ann").await,
            old_user(&db, 9_003, "bob").await,
        );
        // The group as a row too: its table gained a column since (`members_can_pin`).
        let club_id = app::ids::GroupId(7_000);
        insert_rows(
            &db,
            "chat_groups (id, name, icon, memo, owner_id, member_count, created_at)",
            &[format!(
                "({}, 'club', '', '', {}, 2, 1)",
                club_id.0, ann.id.0
            )],
        )
        .await;
        // The membership as rows: joining through the store would record a notice in the
        // shape of the latest schema.
        insert_rows(
            &db,
            "group_members (group_id, user_id, role, joined_at)",
            &[
                format!("({}, {}, 'owner', 1)", club_id.0, ann.id.0),
                format!("({}, {}, 'member', 1)", club_id.0, me.id.0),
            ],
        )
        .await;
        let with_ann = Conv::private(me.id, ann.id).unwrap().key();
        let with_bob = Conv::private(me.id, bob.id).unwrap().key();
        let club_key = Conv::group(club_id).key();
        let mut convs = vec![
            format!("('{with_ann}', 2, 100)"),
            format!("('{with_bob}', 1, 300)"),
            format!("('{club_key}', 3, 200)"),
            "('nonsense', 1, 400)".to_owned(),
        ];
        // Enough more keys to take the backfill past one page: 1:1s with users who do not
        // exist, which the list leaves out.
        for k in 0..1_200 {
            let ghost = UserId(100_000 + k);
            convs.push(format!(
                "('{}', 1, 50)",
                Conv::private(me.id, ghost).unwrap()
            ));
        }
        insert_rows(&db, "conversations (conv, last_seq, updated_at)", &convs).await;
        let messages: Vec<String> = [
            (&with_ann, 1, me.id, "a1"),
            (&with_ann, 2, ann.id, "a2"),
            (&with_bob, 1, bob.id, "b1"),
            (&club_key, 1, ann.id, "c1"),
            (&club_key, 2, me.id, "c2"),
            (&club_key, 3, ann.id, "c3"),
        ]
        .iter()
        .map(|(conv, seq, sender, cid)| {
            format!("('{conv}', {seq}, {sender}, '{cid}', 1, '{cid}', '', '', '', 0, 7)")
        })
        .collect();
        insert_rows(
            &db,
            "messages (conv, seq, sender_id, cid, media, content, pic, url, memo, amount, \
             created_at)",
            &messages,
        )
        .await;
        let reads: Vec<String> = [
            (&with_ann, me.id, 1),
            (&club_key, me.id, 2),
            (&with_ann, ann.id, 2),
        ]
        .iter()
        .map(|(conv, user, seq)| format!("('{conv}', {user}, {seq})"))
        .collect();
        insert_rows(&db, "conv_reads (conv, user_id, read_seq)", &reads).await;

        s.migrate().await.unwrap();

        assert_eq!(
            scalar(&db, "SELECT COUNT(*) AS n FROM conv_members").await,
            Some(2 * 1_202),
            "{}",
            db.label
        );
        assert_eq!(
            scalar(
                &db,
                &format!("SELECT group_id AS n FROM conversations WHERE conv = '{club_key}'")
            )
            .await,
            Some(club_id.0)
        );
        let summary = |l: Vec<server::store::messages::ListedConv>| {
            l.into_iter()
                .map(|c| {
                    let last = c.last.unwrap();
                    (
                        c.conv.key(),
                        c.title,
                        c.last_seq,
                        c.read_seq,
                        last.cid.to_string(),
                        last.sender,
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            summary(s.conversation_list(me.id).await.unwrap()),
            [
                (
                    with_bob.clone(),
                    "Nick bob".to_owned(),
                    1,
                    0,
                    "b1".to_owned(),
                    bob.id
                ),
                (
                    club_key.clone(),
                    "club".to_owned(),
                    3,
                    2,
                    "c3".to_owned(),
                    ann.id
                ),
                (
                    with_ann.clone(),
                    "Nick ann".to_owned(),
                    2,
                    1,
                    "a2".to_owned(),
                    ann.id
                ),
            ],
            "{}",
            db.label
        );
        assert_eq!(
            summary(s.conversation_list(ann.id).await.unwrap()),
            [
                (
                    club_key.clone(),
                    "club".to_owned(),
                    3,
                    0,
                    "c3".to_owned(),
                    ann.id
                ),
                (
                    with_ann.clone(),
                    "Nick me".to_owned(),
                    2,
                    2,
                    "a2".to_owned(),
                    ann.id
                ),
            ],
            "{}",
            db.label
        );

        // From now on the store keeps the rows itself: another message in a backfilled
        // conversation adds none, a new 1:1 adds its two.
        s.store_message(
            message(
                Conv::parse(&with_ann).unwrap(),
                ann.id,
                "a3".to_owned(),
                500,
            ),
            None,
        )
        .await
        .unwrap();
        let carl = user(s, "carl").await;
        let with_carl = Conv::private(me.id, carl.id).unwrap();
        s.store_message(message(with_carl, carl.id, "k1".to_owned(), 600), None)
            .await
            .unwrap();
        assert_eq!(
            scalar(&db, "SELECT COUNT(*) AS n FROM conv_members").await,
            Some(2 * 1_203)
        );
        let mine = summary(s.conversation_list(me.id).await.unwrap());
        assert_eq!(
            mine.iter().map(|r| (r.0.as_str(), r.2)).collect::<Vec<_>>(),
            [
                (with_carl.key().as_str(), 1),
                (with_ann.as_str(), 3),
                (with_bob.as_str(), 1),
                (club_key.as_str(), 3)
            ]
        );
        db.cleanup().await;
    }
}
