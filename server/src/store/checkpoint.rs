//! SQLite's WAL checkpoints, moved off the commit path.
//!
//! By default the connection that commits copies the WAL back into the database file every
//! 1,000 pages, inside its commit: the message writer then waits for those page writes and
//! the database file's fsync (measured at 10-110 ms on this project's benchmark machine,
//! against 0.3 ms for the WAL's own fsync), and every send queued behind it waits too. Here
//! the committing connections never checkpoint; a second connection of its own does it in
//! the background, passively (it never blocks a writer), a few times a second.
//!
//! A passive checkpoint copies what is committed, but the WAL only starts again from its
//! beginning when a transaction begins while everything is copied. Under sustained load
//! that moment may not come, and the file grows; past [`RESTART_FRAMES`] the checkpointer
//! takes one blocking `RESTART` checkpoint (a writer waits for it once) to bound it.

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbBackend, Statement};
use std::time::Duration;

/// How often the checkpointer copies the WAL into the database.
const EVERY: Duration = Duration::from_millis(250);
/// WAL frames (pages, 4 KiB each by default) past which a blocking checkpoint resets the
/// file: 256 MiB.
const RESTART_FRAMES: i64 = 65_536;

/// The background checkpointer of one SQLite database; stops when dropped.
#[derive(Debug)]
pub struct Checkpointer {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// True for a SQLite URL that names a file (a second connection then sees the same data);
/// an in-memory database has no WAL to checkpoint.
pub fn is_sqlite_file(url: &str) -> bool {
    url.starts_with("sqlite:") && !url.contains(":memory:") && !url.contains("mode=memory")
}

impl Checkpointer {
    /// Opens the checkpointer's own connection to the SQLite file at `url` and starts it.
    pub async fn start(url: &str) -> Result<Checkpointer, sea_orm::DbErr> {
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.sqlx_logging(false)
            .max_connections(1)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10));
        let db = Database::connect(opts).await?;
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let passive =
                Statement::from_string(DbBackend::Sqlite, "PRAGMA wal_checkpoint(PASSIVE)");
            let restart =
                Statement::from_string(DbBackend::Sqlite, "PRAGMA wal_checkpoint(RESTART)");
            loop {
                tick.tick().await;
                // Columns: busy, frames in the WAL, frames copied.
                let frames = match db.query_one(passive.clone()).await {
                    Ok(Some(row)) => row.try_get_by_index::<i64>(1).unwrap_or(0),
                    Ok(None) => 0,
                    Err(e) => {
                        tracing::warn!(error = %e, "WAL checkpoint failed");
                        continue;
                    }
                };
                if frames > RESTART_FRAMES {
                    tracing::info!(
                        frames,
                        "WAL past its bound under sustained writes: restarting it"
                    );
                    if let Err(e) = db.execute(restart.clone()).await {
                        tracing::warn!(error = %e, "WAL restart failed");
                    }
                }
            }
        });
        Ok(Checkpointer { task })
    }
}
