//! Account rules: registration, login, sessions and profiles. REST handlers, form handlers
//! and server functions all call these methods, so each rule exists once.

use crate::clock::now_ms;
use crate::error::AppError;
use crate::rules::throttle::{current_client, Client, LoginThrottle, RegisterThrottle, Verdict};
use crate::store::sessions::NewSessionRow;
use crate::store::users::{username_key, NewUser};
use crate::store::Store;
use app::error::{ApiError, ErrorCode, Field};
use app::ids::UserId;
use app::protocol::{
    normalize_nickname, validate_password, validate_username, LoginRequest, RegisterRequest,
    SessionInfo, User,
};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// A freshly opened session: the bearer token exists only here and in the client's hands.
#[derive(Clone, Debug)]
pub struct NewSession {
    /// Who logged in.
    pub user: User,
    /// The bearer token (also the cookie value).
    pub token: String,
}

/// A session that is in force.
#[derive(Clone, Debug)]
pub struct LiveSession {
    /// Whose it is.
    pub user: User,
    /// Its id (in the account's list of sessions).
    pub id: i64,
    /// When it expires, ms since the epoch.
    pub expires_at_ms: i64,
}

/// How often, at most, a session's "last used" time is written by default; an open socket
/// writes it this often too, so a session with a live connection always reads as used
/// within it.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// The account service.
#[derive(Clone)]
pub struct Accounts {
    store: Store,
    throttle: Arc<LoginThrottle>,
    registrations: Arc<RegisterThrottle>,
    session_ttl: Duration,
    /// How often a session's "last used" time is written at most.
    touch_every: Duration,
    /// Bounds the argon2 runs waiting or running, so a burst of logins is refused work
    /// queued instead of piling up without end.
    hashing: Arc<Semaphore>,
    /// The threads argon2 runs on (each run takes ~19 MiB and a core for tens of ms).
    hashers: HashPool,
    /// A real hash to verify against when the user does not exist, so an unknown username
    /// costs the same time as a wrong password.
    decoy_hash: Arc<str>,
    /// The other nodes, which share the throttles' counts.
    cluster: std::sync::Arc<dyn crate::delivery::cluster::Cluster>,
    /// Password change attempts, per account.
    password_tries: Arc<crate::rules::throttle::RateLimit<UserId>>,
}

/// The stored form of a token: hex SHA-256. Tokens carry 256 random bits, so a fast hash is
/// enough; what matters is that a database leak does not leak usable tokens.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2 hash: {e}")))
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Password change attempts allowed per account per quarter hour.
pub const PASSWORD_TRIES: u32 = 5;

/// How late a wrong password past a per-address budget is answered: it slows a guesser
/// that shares an address with others, whom a right password still lets in at once.
const SLOW_FAILURE: Duration = Duration::from_secs(1);

/// Argon2 runs that may wait or run at once.
const HASH_QUEUE: usize = 64;

type HashJob = Box<dyn FnOnce() + Send>;

/// A fixed set of threads that run argon2 and nothing else. Each run allocates its ~19 MiB
/// working memory on one of these few threads, so the allocator keeps (and reuses) at most
/// that many buffers, instead of one per thread of tokio's blocking pool, which grows to
/// hundreds under a burst of logins and kept that memory after it.
#[derive(Clone)]
struct HashPool {
    jobs: std::sync::mpsc::Sender<HashJob>,
}

impl HashPool {
    fn start(threads: usize) -> Result<HashPool, AppError> {
        let (jobs, queue) = std::sync::mpsc::channel::<HashJob>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for i in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || loop {
                    // The lock is held only to take a job; the pool ends with its last handle.
                    let job = match queue.lock() {
                        Ok(q) => q.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                })
                .map_err(|e| AppError::Internal(format!("argon2 thread: {e}")))?;
        }
        Ok(HashPool { jobs })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(work());
            }))
            .map_err(|_| AppError::Internal("argon2 threads stopped".into()))?;
        rx.await
            .map_err(|_| AppError::Internal("argon2 job dropped".into()))
    }
}

impl Accounts {
    /// Builds the service.
    pub fn new(
        store: Store,
        throttle: LoginThrottle,
        registrations: RegisterThrottle,
        session_ttl: Duration,
        cluster: std::sync::Arc<dyn crate::delivery::cluster::Cluster>,
    ) -> Result<Accounts, AppError> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Accounts {
            store,
            throttle: Arc::new(throttle),
            registrations: Arc::new(registrations),
            session_ttl,
            touch_every: TOUCH_EVERY,
            hashing: Arc::new(Semaphore::new(HASH_QUEUE)),
            hashers: HashPool::start(cores)?,
            decoy_hash: hash_password("decoy password, never matches")?.into(),
            cluster,
            password_tries: Arc::new(crate::rules::throttle::RateLimit::new(
                PASSWORD_TRIES,
                Duration::from_secs(15 * 60),
            )),
        })
    }

    /// The same service writing "last used" at most every `every` (and from open sockets
    /// that often).
    pub fn touching_every(mut self, every: Duration) -> Accounts {
        self.touch_every = every;
        self
    }

    /// How often an open socket notes its session in use ([`Accounts::still_using`]).
    pub fn touch_every(&self) -> Duration {
        self.touch_every
    }

    /// Runs CPU-heavy argon2 work off the async threads, a bounded number at a time.
    async fn with_hasher<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|e| AppError::Internal(format!("hashing semaphore: {e}")))?;
        self.hashers.run(work).await
    }

    /// Creates an account. 400 names a bad field; 409 when the username is taken; 429 when
    /// the client's address (see [`current_client`]) or everyone has created too many
    /// accounts this hour.
    pub async fn register(&self, req: RegisterRequest) -> Result<User, AppError> {
        validate_username(&req.username)?;
        validate_password(&req.password)?;
        let nickname = match req.nickname.as_deref() {
            Some(n) if !n.trim().is_empty() => normalize_nickname(n)?,
            _ => req.username.clone(),
        };
        // Fail fast on an obvious duplicate before paying for a hash; the unique index
        // still decides races.
        if self.store.credentials(&req.username).await?.is_some() {
            return Err(AppError::code(ErrorCode::UsernameTaken));
        }
        // Counted before the hash is paid for; what is refused here counts toward nothing.
        self.registrations
            .hit(&*self.cluster, current_client().addr)
            .await
            .map_err(|wait| AppError::Throttled(ErrorCode::TooManyRegistrations, wait))?;
        let password = req.password;
        let password_hash = self.with_hasher(move || hash_password(&password)).await??;
        let created = self
            .store
            .create_user(NewUser {
                username: req.username,
                nickname,
                password_hash,
                now_ms: now_ms(),
            })
            .await;
        let user = created?;
        tracing::info!(user = %user.id, "registered");
        Ok(user)
    }

    /// Checks credentials and opens a session, and asks (through `client`) for the device
    /// cookie that marks this device as the account's. Unknown user and wrong password get
    /// the same 401; see [`crate::rules::throttle`] for when 429 is answered instead.
    pub async fn login(&self, req: LoginRequest, client: Client) -> Result<NewSession, AppError> {
        if req.username.is_empty() || req.username.len() > 64 {
            return Err(ApiError::invalid(Field::Username).into());
        }
        if req.password.is_empty() || req.password.chars().count() > 1024 {
            return Err(ApiError::invalid(Field::Password).into());
        }
        let key = username_key(&req.username);
        let cluster = &*self.cluster;
        let device = client.device.as_deref().map(token_hash);
        let addr = client.addr;
        let verdict = self
            .throttle
            .before(cluster, &key, addr, device.as_deref())
            .await
            .map_err(|wait| AppError::Throttled(ErrorCode::TooManyAttempts, wait))?;

        let creds = self.store.credentials(&req.username).await?;
        let phc = creds
            .as_ref()
            .map_or_else(|| self.decoy_hash.to_string(), |c| c.password_hash.clone());
        let password = req.password;
        let ok = self
            .with_hasher(move || verify_password(&password, &phc))
            .await?;
        let user = match (creds, ok) {
            (Some(c), true) => c.user,
            _ => {
                self.throttle
                    .failed(cluster, &key, addr, device.as_deref(), verdict)
                    .await;
                tracing::info!(account = %key, ?addr, "login failed");
                if let Verdict::Slowed(wait) = verdict {
                    tokio::time::sleep(SLOW_FAILURE).await;
                    return Err(AppError::Throttled(ErrorCode::TooManyAttempts, wait));
                }
                return Err(AppError::code(ErrorCode::InvalidCredentials));
            }
        };
        // A known device keeps its token (the cookie is set again to renew it).
        let device_token = match (verdict, client.device.clone()) {
            (Verdict::Known, Some(token)) => token,
            _ => new_token(),
        };
        self.throttle
            .succeeded(cluster, &key, addr, &token_hash(&device_token))
            .await;
        client.issue_device(device_token);

        let token = new_token();
        let now = now_ms();
        let ttl_ms = i64::try_from(self.session_ttl.as_millis()).unwrap_or(i64::MAX);
        self.store
            .create_session(NewSessionRow {
                user: user.id,
                token_hash: token_hash(&token),
                now_ms: now,
                expires_at_ms: now.saturating_add(ttl_ms),
                device: client.agent.clone(),
                addr: addr.map(|a| a.to_string()).unwrap_or_default(),
            })
            .await?;
        tracing::info!(user = %user.id, "logged in");
        Ok(NewSession { user, token })
    }

    /// The user of a live session, `None` for unknown, expired or logged-out tokens.
    pub async fn authenticate(&self, token: &str) -> Result<Option<User>, AppError> {
        Ok(self.session(token).await?.map(|s| s.user))
    }

    /// The live session of `token`: its user and when it expires.
    pub async fn session(&self, token: &str) -> Result<Option<LiveSession>, AppError> {
        // Real tokens are 43 characters; refuse junk before touching the database.
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        let now = now_ms();
        let Some((user, row)) = self.store.session_user(&token_hash(token), now).await? else {
            return Ok(None);
        };
        // "Last used" is shown to the minute: a write a minute at most per session, not one
        // per request.
        let every = i64::try_from(self.touch_every.as_millis()).unwrap_or(i64::MAX);
        if now.saturating_sub(row.last_used_at) >= every {
            self.store.touch_session(row.id, now).await?;
        }
        Ok(Some(LiveSession {
            user,
            id: row.id,
            expires_at_ms: row.expires_at,
        }))
    }

    /// Notes that session `id` is in use now: its open socket says so every
    /// [`Accounts::touch_every`], since a socket that stays open for hours makes no requests.
    pub async fn still_using(&self, id: i64) -> Result<(), AppError> {
        Ok(self.store.touch_session(id, now_ms()).await?)
    }

    /// `me`'s live sessions, most recently used first; `current` marks the one asking.
    pub async fn sessions(&self, me: UserId, current: &str) -> Result<Vec<SessionInfo>, AppError> {
        let current = token_hash(current);
        Ok(self
            .store
            .sessions_of(me, now_ms())
            .await?
            .into_iter()
            .map(|s| SessionInfo {
                id: s.id,
                device: s.device,
                addr: s.addr,
                created_at: s.created_at,
                last_used_at: s.last_used_at,
                current: s.token_hash == current,
            })
            .collect())
    }

    /// Ends `me`'s session `id`: 404 `not_found` unless it is one of theirs. Returns its
    /// token hash, whose sockets the caller closes.
    pub async fn end_session(&self, me: UserId, id: i64) -> Result<String, AppError> {
        let ended = self
            .store
            .end_session_of(me, id)
            .await?
            .ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
        tracing::info!(user = %me, session = id, "session ended from another");
        Ok(ended)
    }

    /// Ends every session of `me` but the one of `token`; returns their token hashes,
    /// whose sockets the caller closes.
    pub async fn end_other_sessions(
        &self,
        me: UserId,
        token: &str,
    ) -> Result<Vec<String>, AppError> {
        let ended = self
            .store
            .end_other_sessions(me, &token_hash(token))
            .await?;
        tracing::info!(user = %me, ended = ended.len(), "other sessions ended");
        Ok(ended)
    }

    /// Ends the session of `token`, wherever it is used; returns whose it was (`None`: no
    /// such session).
    pub async fn logout(&self, token: &str) -> Result<Option<UserId>, AppError> {
        Ok(self.store.delete_session(&token_hash(token)).await?)
    }

    /// Checks that `password` is `me`'s, before a change that needs it (a new password,
    /// deleting the account): 403 `wrong_password` if not; at most [`PASSWORD_TRIES`]
    /// attempts per account per quarter hour, then 429, so it cannot be guessed through here.
    pub async fn confirm_password(&self, me: UserId, password: String) -> Result<(), AppError> {
        if password.is_empty() || password.chars().count() > 1024 {
            return Err(ApiError::invalid(Field::Password).into());
        }
        self.password_tries
            .hit(me)
            .map_err(|wait| AppError::Throttled(ErrorCode::TooManyAttempts, wait))?;
        let phc = self
            .store
            .password_hash(me)
            .await?
            .ok_or_else(|| AppError::code(ErrorCode::Unauthorized))?;
        let right = self
            .with_hasher(move || verify_password(&password, &phc))
            .await?;
        if !right {
            tracing::info!(user = %me, "refused: wrong password");
            return Err(AppError::code(ErrorCode::WrongPassword));
        }
        Ok(())
    }

    /// Changes `me`'s password: the current one must be right (403 `wrong_password`; at most
    /// [`PASSWORD_TRIES`] attempts per account per quarter hour, then 429); the new one
    /// follows the registration rule. Every other session of the account ends; returns
    /// their token hashes, whose sockets the caller closes.
    pub async fn change_password(
        &self,
        me: UserId,
        token: &str,
        current: String,
        new: String,
    ) -> Result<Vec<String>, AppError> {
        validate_password(&new)?;
        self.confirm_password(me, current).await?;
        let phc = self.with_hasher(move || hash_password(&new)).await??;
        self.store.set_password_hash(me, phc).await?;
        let ended = self
            .store
            .end_other_sessions(me, &token_hash(token))
            .await?;
        tracing::info!(user = %me, ended = ended.len(), "password changed");
        Ok(ended)
    }

    /// The user with id `id`, if there is one (the seed client's `/user/find`).
    pub async fn user(&self, id: UserId) -> Result<Option<User>, AppError> {
        Ok(self.store.user(id).await?)
    }

    /// Deletes expired sessions (run periodically).
    pub async fn purge_expired(&self) -> Result<u64, AppError> {
        Ok(self.store.purge_expired_sessions(now_ms()).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_are_stable() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn password_hash_verifies_only_the_right_password() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2"));
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("wrong horse", &phc));
        assert!(!verify_password("x", "not a phc string"));
    }
}
