//! Schema migrations, applied in order at start-up. Never edit a released migration; add one.

use sea_orm_migration::prelude::*;

mod m20261123_000001_accounts;
mod m20261123_000002_social;
mod m20261123_000003_messages;
mod m20261124_000004_participants;
mod m20261124_000005_notice_names;
mod m20261125_000006_message_size;
mod m20261125_000007_media;
mod m20261203_000008_published_media;
mod m20261204_000009_message_actions;
mod m20261210_000010_consent;

/// All of Parley's migrations.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_accounts::Migration),
            Box::new(m20261123_000002_social::Migration),
            Box::new(m20261123_000003_messages::Migration),
            Box::new(m20261124_000004_participants::Migration),
            Box::new(m20261124_000005_notice_names::Migration),
            Box::new(m20261125_000006_message_size::Migration),
            Box::new(m20261125_000007_media::Migration),
            Box::new(m20261203_000008_published_media::Migration),
            Box::new(m20261204_000009_message_actions::Migration),
            Box::new(m20261210_000010_consent::Migration),
        ]
    }
}
