//! Set-up through the API. Parley: users (registered once, their tokens cached in a state
//! file and checked with `GET /api/me` before use), friendships, groups and a history of
//! conversations, each made only where missing, so a second run against the same database
//! costs a few cheap GETs instead of thousands of argon2 hashes. Peer hubs: group membership.

use crate::report::Progress;
use crate::target::Target;
use anyhow::{bail, Context, Result};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::Mutex;

/// Every loadgen account's password (benchmark accounts on a benchmark server only).
pub const PASSWORD: &str = "loadgen-password-1";

/// A Parley account loadgen can act as.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Account {
    /// Login name.
    pub username: String,
    /// User id.
    pub id: i64,
    /// A session token (bearer).
    pub token: String,
}

/// What the state file holds: accounts by username.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct StateFile {
    /// Accounts by username.
    pub users: BTreeMap<String, Account>,
}

/// Parley set-up for one target, with the state file (if any) it reads and updates.
pub struct Parley<'a> {
    target: &'a Target,
    path: Option<PathBuf>,
    state: Mutex<StateFile>,
    concurrency: usize,
    quiet: bool,
}

/// The default state file for a target: `target/bench/state-<host:port>.json`.
pub fn default_state_path(target: &Target) -> PathBuf {
    PathBuf::from(format!("target/bench/state-{}.json", target.host_port()))
}

impl<'a> Parley<'a> {
    /// Set-up against `target`, keeping accounts in `path` (none: only in memory), making
    /// at most `concurrency` accounts at once (each costs the server two argon2 hashes).
    pub fn new(
        target: &'a Target,
        path: Option<PathBuf>,
        concurrency: usize,
        quiet: bool,
    ) -> Result<Parley<'a>> {
        let state = match &path {
            Some(p) if p.exists() => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading {}", p.display()))?;
                // A state file that does not parse is only a cache: start over.
                serde_json::from_str(&text).unwrap_or_default()
            }
            _ => StateFile::default(),
        };
        Ok(Parley {
            target,
            path,
            state: Mutex::new(state),
            concurrency: concurrency.max(1),
            quiet,
        })
    }

    fn save(&self) -> Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let text = {
            let state = self
                .state
                .lock()
                .map_err(|_| anyhow::anyhow!("state lock"))?;
            serde_json::to_string_pretty(&*state)?
        };
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
    }

    /// Calls the API; returns the status and the JSON body (`null` when there is none).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Value)> {
        let mut req = self
            .target
            .http
            .request(method.clone(), self.target.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = res.status();
        let text = res
            .text()
            .await
            .with_context(|| format!("{method} {path}"))?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    async fn login(&self, username: &str) -> Result<Option<Account>> {
        let body = json!({"username": username, "password": PASSWORD});
        let (status, v) = self
            .call(Method::POST, "/api/login", None, Some(&body))
            .await?;
        if status == StatusCode::UNAUTHORIZED {
            return Ok(None);
        }
        if status != StatusCode::OK {
            bail!("login {username}: {status} {v}");
        }
        Ok(Some(Account {
            username: username.to_owned(),
            id: v["user"]["id"].as_i64().context("login: no user id")?,
            token: v["token"].as_str().context("login: no token")?.to_owned(),
        }))
    }

    async fn ensure_user(&self, username: &str) -> Result<Account> {
        let cached = self
            .state
            .lock()
            .map_err(|_| anyhow::anyhow!("state lock"))?
            .users
            .get(username)
            .cloned();
        if let Some(acc) = cached {
            let (status, v) = self
                .call(Method::GET, "/api/me", Some(&acc.token), None)
                .await?;
            if status == StatusCode::OK && v["id"].as_i64() == Some(acc.id) {
                return Ok(acc);
            }
        }
        // Register first: a login for an unknown name counts as a failed attempt, and
        // Parley throttles an address after a few of those.
        let body = json!({"username": username, "password": PASSWORD});
        let (status, v) = self
            .call(Method::POST, "/api/register", None, Some(&body))
            .await?;
        if status != StatusCode::CREATED && status != StatusCode::CONFLICT {
            bail!("register {username}: {status} {v}");
        }
        let acc = self.login(username).await?.with_context(|| {
            format!("login {username} refused (an account of that name with another password?)")
        })?;
        self.state
            .lock()
            .map_err(|_| anyhow::anyhow!("state lock"))?
            .users
            .insert(username.to_owned(), acc.clone());
        Ok(acc)
    }

    /// The accounts named `names`, in that order: cached tokens checked, then logins, then
    /// registrations, at most `concurrency` at a time. The state file is written even when
    /// some fail, so the next run does not redo the ones that worked.
    pub async fn users(&self, names: &[String]) -> Result<Vec<Account>> {
        let bar = Progress::new(names.len() as u64, "accounts", self.quiet);
        let result: Result<Vec<Account>> = stream::iter(names.iter())
            .map(|name| {
                let bar = &bar;
                async move {
                    let acc = self.ensure_user(name).await;
                    bar.inc(1);
                    acc
                }
            })
            .buffered(self.concurrency)
            .try_collect()
            .await;
        bar.finish();
        self.save()?;
        result
    }

    /// Makes every pair friends (one `POST /api/friends` each where not yet friends).
    pub async fn befriend(&self, pairs: &[(Account, Account)]) -> Result<()> {
        stream::iter(pairs.iter())
            .map(|(a, b)| async move {
                let (status, v) = self
                    .call(Method::GET, "/api/friends", Some(&a.token), None)
                    .await?;
                if status != StatusCode::OK {
                    bail!("GET /api/friends as {}: {status} {v}", a.username);
                }
                let known = v
                    .as_array()
                    .is_some_and(|fs| fs.iter().any(|f| f["id"].as_i64() == Some(b.id)));
                if known {
                    return Ok(());
                }
                let body = json!({"user_id": b.id});
                let (status, v) = self
                    .call(Method::POST, "/api/friends", Some(&a.token), Some(&body))
                    .await?;
                if !status.is_success() && status != StatusCode::CONFLICT {
                    bail!("befriend {} {}: {status} {v}", a.username, b.username);
                }
                Ok(())
            })
            .buffer_unordered(self.concurrency.max(8))
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    /// The ids of the groups `owner` is in, by name.
    async fn my_groups(&self, who: &Account) -> Result<BTreeMap<String, i64>> {
        let (status, v) = self
            .call(Method::GET, "/api/groups", Some(&who.token), None)
            .await?;
        if status != StatusCode::OK {
            bail!("GET /api/groups as {}: {status} {v}", who.username);
        }
        Ok(v.as_array()
            .map(|gs| {
                gs.iter()
                    .filter_map(|g| Some((g["name"].as_str()?.to_owned(), g["id"].as_i64()?)))
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn create_group(&self, owner: &Account, name: &str) -> Result<i64> {
        let body = json!({"name": name});
        let (status, v) = self
            .call(Method::POST, "/api/groups", Some(&owner.token), Some(&body))
            .await?;
        if status != StatusCode::CREATED {
            bail!(
                "create group {name} as {}: {status} {v} (a server with a low MAX_OWNED_GROUPS \
                 refuses; raise it or lower --owned-per-user)",
                owner.username
            );
        }
        v["id"].as_i64().context("create group: no id")
    }

    async fn join(&self, who: &Account, gid: i64) -> Result<()> {
        let (status, v) = self
            .call(
                Method::POST,
                &format!("/api/groups/{gid}/join"),
                Some(&who.token),
                None,
            )
            .await?;
        if !status.is_success() && status != StatusCode::CONFLICT {
            bail!(
                "join group {gid} as {}: {status} {v} (is MAX_GROUP_MEMBERS high enough?)",
                who.username
            );
        }
        Ok(())
    }

    /// A group called `name` owned by `members[0]` with every one of `members` in it;
    /// returns its id.
    pub async fn group(&self, name: &str, members: &[Account]) -> Result<i64> {
        let owner = members.first().context("a group needs an owner")?;
        let gid = match self.my_groups(owner).await?.get(name) {
            Some(id) => *id,
            None => self.create_group(owner, name).await?,
        };
        let (status, v) = self
            .call(
                Method::GET,
                &format!("/api/groups/{gid}/members"),
                Some(&owner.token),
                None,
            )
            .await?;
        if status != StatusCode::OK {
            bail!("members of group {gid}: {status} {v}");
        }
        let inside: HashSet<i64> = v
            .as_array()
            .map(|ms| ms.iter().filter_map(|m| m["id"].as_i64()).collect())
            .unwrap_or_default();
        let missing: Vec<&Account> = members.iter().filter(|m| !inside.contains(&m.id)).collect();
        let bar = Progress::new(missing.len() as u64, "joining", self.quiet);
        stream::iter(missing)
            .map(|m| {
                let bar = &bar;
                async move {
                    self.join(m, gid).await?;
                    bar.inc(1);
                    Ok::<(), anyhow::Error>(())
                }
            })
            .buffer_unordered(self.concurrency.max(8))
            .try_collect::<Vec<()>>()
            .await?;
        bar.finish();
        Ok(gid)
    }

    /// `who`'s conversation list, and how long the call took.
    pub async fn conversations(&self, who: &Account) -> Result<(usize, std::time::Duration)> {
        let t0 = std::time::Instant::now();
        let (status, v) = self
            .call(Method::GET, "/api/conversations", Some(&who.token), None)
            .await?;
        let took = t0.elapsed();
        if status != StatusCode::OK {
            bail!("GET /api/conversations: {status} {v}");
        }
        Ok((v.as_array().map_or(0, Vec::len), took))
    }

    /// Gives `reader` at least `count` conversations: groups `lg-h<j>` owned by `owners`
    /// (`per_owner` each), which `reader` joins and writes one message in.
    pub async fn history(
        &self,
        reader: &Account,
        owners: &[Account],
        per_owner: usize,
        count: usize,
    ) -> Result<()> {
        if self.conversations(reader).await?.0 >= count {
            return Ok(());
        }
        if owners.len() * per_owner < count {
            bail!("{} owners x {per_owner} groups < {count}", owners.len());
        }
        let joined = self.my_groups(reader).await?;
        let bar = Progress::new(count as u64, "history", self.quiet);
        let jobs: Vec<(usize, &Account)> =
            (0..count).map(|j| (j, &owners[j / per_owner])).collect();
        // Owners' group lists, fetched once each.
        let mut owned: BTreeMap<i64, BTreeMap<String, i64>> = BTreeMap::new();
        for o in owners.iter().take(count.div_ceil(per_owner)) {
            owned.insert(o.id, self.my_groups(o).await?);
        }
        let owned = &owned;
        let joined = &joined;
        stream::iter(jobs)
            .map(|(j, owner)| {
                let bar = &bar;
                async move {
                    let name = format!("lg-h{j}");
                    let gid = match joined.get(&name) {
                        Some(id) => *id,
                        None => {
                            let gid = match owned.get(&owner.id).and_then(|g| g.get(&name)) {
                                Some(id) => *id,
                                None => self.create_group(owner, &name).await?,
                            };
                            self.join(reader, gid).await?;
                            gid
                        }
                    };
                    let body = json!({"cid": format!("lg-h{j}"), "media": 1, "content": "history"});
                    let (status, v) = self
                        .call(
                            Method::POST,
                            &format!("/api/conversations/g:{gid}/messages"),
                            Some(&reader.token),
                            Some(&body),
                        )
                        .await?;
                    if !status.is_success() {
                        bail!("history message in group {gid}: {status} {v}");
                    }
                    bar.inc(1);
                    Ok(())
                }
            })
            .buffer_unordered(self.concurrency.max(4))
            .try_collect::<Vec<()>>()
            .await?;
        bar.finish();
        Ok(())
    }

    /// Logs `username` in once more (a new session); returns the token.
    pub async fn fresh_login(&self, username: &str) -> Result<String> {
        Ok(self
            .login(username)
            .await?
            .with_context(|| format!("login {username} refused"))?
            .token)
    }
}

/// Puts `members` into group `group` on a peer hub (`POST /bench/join`).
pub async fn peer_join(target: &Target, group: i64, members: &[i64]) -> Result<()> {
    let res = target
        .http
        .post(target.url("/bench/join"))
        .json(&json!({"group": group, "members": members}))
        .send()
        .await
        .context("POST /bench/join")?;
    if !res.status().is_success() {
        bail!("POST /bench/join: {}", res.status());
    }
    Ok(())
}
