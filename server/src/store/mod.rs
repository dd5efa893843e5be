//! Persistence: SeaORM over SQLite (default), PostgreSQL or MySQL/MariaDB.
//!
//! [`Store`] offers domain-shaped methods (one call = one statement or one transaction) and
//! returns `app::protocol` types, so nothing above this module sees an entity or a query.
//! One file per domain: [`users`], [`sessions`], [`friends`], [`requests`] (friend requests
//! and blocks), [`groups`], [`notices`], [`reports`], [`messages`], [`actions`], [`media`].

pub mod actions;
pub mod batch;
pub mod cache;
pub use cache::SocialChange;
pub mod checkpoint;
pub mod entities;
pub mod erase;
pub mod friends;
pub mod groups;
pub mod media;
pub mod messages;
pub mod migration;
pub mod notices;
pub mod reports;
pub mod requests;
pub mod sessions;
pub mod users;

use app::ids::{GroupId, UserId};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use sea_orm_migration::MigratorTrait;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write (the caller decides what it means).
    #[error("duplicate key")]
    Duplicate,
    /// The data refused the change (not found, a cap reached, not a member...); the code
    /// says which, and nothing was written.
    #[error("refused: {0}")]
    Refused(app::error::ErrorCode),
    /// The database holds something this code never writes (a corrupt row, a counter that
    /// vanished mid-transaction): a server fault, logged, never shown to the client.
    #[error("inconsistent data: {0}")]
    Inconsistent(String),
    /// Any other database failure.
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// A change the data refused, as the rule's error code.
fn refused(code: app::error::ErrorCode) -> StoreError {
    StoreError::Refused(code)
}

/// Turns unique violations into [`StoreError::Duplicate`], whatever the backend's wording.
/// Domain methods then name what a duplicate means (`username_taken`, `already_friends`...)
/// with [`on_duplicate`], so callers see refusals, not key violations.
fn classify(err: DbErr) -> StoreError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => StoreError::Duplicate,
        _ => StoreError::Db(err),
    }
}

/// Classifies `err`, naming a unique violation as the refusal `code`.
fn on_duplicate(code: app::error::ErrorCode) -> impl Fn(DbErr) -> StoreError {
    move |err| match classify(err) {
        StoreError::Duplicate => StoreError::Refused(code),
        other => other,
    }
}

/// A handle to the database; cheap to clone (it shares the connection pool and the
/// social-graph cache).
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    cache: std::sync::Arc<cache::SocialCache>,
    /// SQLite file only: WAL checkpoints in the background (stops with the last clone).
    checkpointer: Option<std::sync::Arc<checkpoint::Checkpointer>>,
}

impl Store {
    /// Calls `listener` after every committed friendship or membership change (the first
    /// listener set stays).
    pub fn on_social_change(&self, listener: cache::ChangeListener) {
        self.cache.listen(listener);
    }

    /// Forgets cached friend lists another node changed.
    pub fn forget_friends(&self, users: &[UserId]) {
        self.cache.forget_friends(users);
    }

    /// Forgets a cached member list another node changed.
    pub fn forget_members(&self, group: GroupId) {
        self.cache.forget_members(group);
    }

    /// Forgets everything cached (changes may have been missed).
    pub fn forget_social(&self) {
        self.cache.forget_all();
    }

    /// The ids of `me`'s friends, from the cache (one query on a miss).
    pub async fn friend_set(&self, me: UserId) -> Result<Arc<HashSet<UserId>>, StoreError> {
        self.cache.friends(me, self.friend_ids(me)).await
    }

    /// The members of group `g`, sorted, from the cache (one query on a miss); empty when
    /// the group does not exist.
    pub async fn member_set(&self, g: GroupId) -> Result<cache::Members, StoreError> {
        self.cache.members(g, self.group_member_ids(g)).await
    }
}

impl Store {
    /// Connects to `url`; for PostgreSQL, `schema` (if given) becomes the search path so a
    /// test run can live in its own schema.
    pub async fn connect(url: &str, schema: Option<&str>) -> Result<Store, StoreError> {
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10));
        if let Some(schema) = schema {
            opts.set_schema_search_path(schema.to_owned());
        }
        // Per SQLite connection: statement journals (a multi-row insert inside the message
        // writer's transaction makes one) in memory, not in a temporary file, and a page
        // cache large enough for a batch's index pages (the default is 2 MB). A file's WAL
        // is checkpointed by its own connection (see `checkpoint`), not inside commits.
        let file = checkpoint::is_sqlite_file(url);
        opts.map_sqlx_sqlite_opts(move |o| {
            let o = o
                .pragma("temp_store", "memory")
                .pragma("cache_size", "-16384");
            if file {
                // A WAL that grew under load is cut back to 64 MiB when it starts over.
                o.pragma("wal_autocheckpoint", "0")
                    .pragma("journal_size_limit", "67108864")
            } else {
                o
            }
        });
        let db = Database::connect(opts).await?;
        if db.get_database_backend() == DbBackend::Sqlite {
            // WAL lets readers proceed while a writer commits; it is a property of the file,
            // so setting it once per start is enough.
            db.execute_unprepared("PRAGMA journal_mode=WAL").await?;
        }
        let checkpointer = if file {
            Some(std::sync::Arc::new(
                checkpoint::Checkpointer::start(url).await?,
            ))
        } else {
            None
        };
        Ok(Store {
            db,
            cache: Default::default(),
            checkpointer,
        })
    }

    /// Brings the schema up to date; run at every start-up.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migration::Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// Checks that the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await?;
        Ok(())
    }

    /// Which database this is.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Calls `hook` after each statement run through this handle (and through clones made
    /// from it afterwards; the original and earlier clones are unaffected). For tests and
    /// diagnostics: counting the queries a request makes proves it does not grow with the data.
    pub fn observe_statements(
        &mut self,
        hook: impl Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static,
    ) {
        self.db.set_metric_callback(hook);
    }

    /// Closes the pool (at shutdown, so SQLite checkpoints its WAL).
    pub async fn close(self) -> Result<(), StoreError> {
        drop(self.checkpointer);
        self.db.close().await?;
        Ok(())
    }
}
