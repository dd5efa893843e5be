//! The Lua scripts the Redis bus runs. Each is one atomic step on the shared state, so two
//! nodes deciding at once (the same user's presence, a dead node's clean-up) cannot both
//! act, and every script takes the time from Redis itself (`TIME`), never from a node's
//! clock.
//!
//! Keys (all under the configured prefix `p`):
//! - `p u:<user>`: hash node -> that user's connections on the node (for caps and presence);
//! - `p a:<addr>`: hash node -> connections from that client address on the node;
//! - `p n:<node>:u` / `p n:<node>:a`: the users and addresses a node holds (for delivery
//!   and clean-up), written together with the hashes above;
//! - `p nodes`: sorted set node -> last heartbeat (ms);
//! - `p online`: users friends were told are online (cmd 13), cluster-wide;
//! - `p t:<key>`: throttle counters (`l:`/`la:`/`lu:`/`ld:` login failures per account and
//!   address, address, account from unknown devices, device; `r:` registrations), and
//!   `p t:d:<device hash>` -> the account a device cookie was set for.
//!
//! Channels: `p node:<node>` (deliveries for that node's connections) and `p all`
//! (presence changes, logouts, social-graph changes: rare, every node needs them).

/// Routes one stored frame to the nodes holding its recipients: one PUBLISH per node that
/// has any of them (never to the origin, which delivered locally), carrying the recipients
/// on that node and the frame encoded once. Membership is asked per node, a batch of
/// recipients in one `SMISMEMBER`, so the cost grows with nodes, not with calls per member.
/// ARGV: prefix, origin node, payload, user ids...; returns the number of publishes.
pub const DELIVER: &str = r#"
local p, origin, payload = ARGV[1], ARGV[2], ARGV[3]
if #ARGV < 4 then return 0 end
local sent = 0
for _, n in ipairs(redis.call('ZRANGE', p .. 'nodes', 0, -1)) do
  if n ~= origin then
    local ids, key = {}, p .. 'n:' .. n .. ':u'
    -- unpack() takes a few thousand values at most: ask in chunks.
    for first = 4, #ARGV, 1000 do
      local last = math.min(first + 999, #ARGV)
      local hit = redis.call('SMISMEMBER', key, unpack(ARGV, first, last))
      for i, h in ipairs(hit) do
        if h == 1 then ids[#ids + 1] = ARGV[first + i - 1] end
      end
    end
    if #ids > 0 then
      redis.call('PUBLISH', p .. 'node:' .. n, table.concat(ids, ',') .. '\n' .. payload)
      sent = sent + 1
    end
  end
end
return sent
"#;

/// Whether one more connection of a user (and from an address) stays within the caps,
/// counting the other nodes' connections from Redis and this node's from its own registry.
/// ARGV: prefix, node, user, addr ('' for none), local user count, local addr count,
/// user cap, addr cap; returns 0 (admit), 1 (user cap) or 2 (address cap).
pub const ADMIT: &str = r#"
local p, node, u, a = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local function others(key)
  local s, f = 0, redis.call('HGETALL', key)
  for i = 1, #f, 2 do if f[i] ~= node then s = s + tonumber(f[i + 1]) end end
  return s
end
if others(p .. 'u:' .. u) + tonumber(ARGV[5]) >= tonumber(ARGV[7]) then return 1 end
if a ~= '' and others(p .. 'a:' .. a) + tonumber(ARGV[6]) >= tonumber(ARGV[8]) then return 2 end
return 0
"#;

/// A user has connections on this node: records them, and marks the user online if no
/// node had (then tells every node). ARGV: prefix, node, user, count; returns 1 when this
/// call made the user online (this node tells the friends).
pub const ONLINE: &str = r#"
local p, node, u = ARGV[1], ARGV[2], ARGV[3]
redis.call('HSET', p .. 'u:' .. u, node, ARGV[4])
redis.call('SADD', p .. 'n:' .. node .. ':u', u)
if redis.call('SADD', p .. 'online', u) == 1 then
  redis.call('PUBLISH', p .. 'all', 'p+ ' .. u)
  return 1
end
return 0
"#;

/// A user's grace period on this node is over without a connection here: forgets them
/// here, and marks them offline if no living node holds a connection (then tells every
/// node). ARGV: prefix, node, user, node ttl (ms); returns 1 when this call made the user
/// offline (this node tells the friends).
pub const OFFLINE: &str = r#"
local p, node, u = ARGV[1], ARGV[2], ARGV[3]
redis.call('HDEL', p .. 'u:' .. u, node)
redis.call('SREM', p .. 'n:' .. node .. ':u', u)
local t = redis.call('TIME')
local oldest = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(ARGV[4])
local f = redis.call('HGETALL', p .. 'u:' .. u)
for i = 1, #f, 2 do
  local seen = redis.call('ZSCORE', p .. 'nodes', f[i])
  if tonumber(f[i + 1]) > 0 and seen and tonumber(seen) >= oldest then return 0 end
end
if redis.call('SREM', p .. 'online', u) == 1 then
  redis.call('PUBLISH', p .. 'all', 'p- ' .. u)
  return 1
end
return 0
"#;

/// The heartbeat: stamps this node alive, then clears every node silent for longer than
/// the ttl (its connections are gone with it) and marks offline the users no other node
/// holds. ARGV: prefix, node, ttl (ms). Returns {resync, gone users}: resync is 1 when this
/// node was not in the set (it was cleared as dead, or Redis lost everything), so it must
/// announce its connections again.
pub const BEAT: &str = r#"
local p, node, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local added = redis.call('ZADD', p .. 'nodes', now, node)
local gone = {}
for _, dead in ipairs(redis.call('ZRANGEBYSCORE', p .. 'nodes', '-inf', now - ttl)) do
  for _, u in ipairs(redis.call('SMEMBERS', p .. 'n:' .. dead .. ':u')) do
    redis.call('HDEL', p .. 'u:' .. u, dead)
    if redis.call('HLEN', p .. 'u:' .. u) == 0 and redis.call('SREM', p .. 'online', u) == 1 then
      gone[#gone + 1] = u
      redis.call('PUBLISH', p .. 'all', 'p- ' .. u)
    end
  end
  for _, a in ipairs(redis.call('SMEMBERS', p .. 'n:' .. dead .. ':a')) do
    redis.call('HDEL', p .. 'a:' .. a, dead)
  end
  redis.call('DEL', p .. 'n:' .. dead .. ':u', p .. 'n:' .. dead .. ':a')
  redis.call('ZREM', p .. 'nodes', dead)
end
return {added, gone}
"#;

/// Replaces everything Redis holds about this node with its registry as it is now (after
/// (re)connecting: Redis may have restarted empty, or dropped this node as dead), marks its
/// users online, and returns {users this made online, every online user}.
/// ARGV: prefix, node, number of users, then user/count pairs, then address/count pairs.
pub const RESYNC: &str = r#"
local p, node, nu = ARGV[1], ARGV[2], tonumber(ARGV[3])
local uset, aset = p .. 'n:' .. node .. ':u', p .. 'n:' .. node .. ':a'
for _, u in ipairs(redis.call('SMEMBERS', uset)) do redis.call('HDEL', p .. 'u:' .. u, node) end
for _, a in ipairs(redis.call('SMEMBERS', aset)) do redis.call('HDEL', p .. 'a:' .. a, node) end
redis.call('DEL', uset, aset)
local t = redis.call('TIME')
redis.call('ZADD', p .. 'nodes', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), node)
local news, i = {}, 4
for _ = 1, nu do
  local u = ARGV[i]
  redis.call('HSET', p .. 'u:' .. u, node, ARGV[i + 1])
  redis.call('SADD', uset, u)
  if redis.call('SADD', p .. 'online', u) == 1 then
    news[#news + 1] = u
    redis.call('PUBLISH', p .. 'all', 'p+ ' .. u)
  end
  i = i + 2
end
while i < #ARGV do
  redis.call('HSET', p .. 'a:' .. ARGV[i], node, ARGV[i + 1])
  redis.call('SADD', aset, ARGV[i])
  i = i + 2
end
return {news, redis.call('SMEMBERS', p .. 'online')}
"#;

/// Counts a failed login against a throttle key within its window and returns the count
/// and the milliseconds left in the window. ARGV: key, window (ms).
pub const FAIL: &str = r#"
local n = redis.call('INCR', ARGV[1])
if n == 1 then redis.call('PEXPIRE', ARGV[1], ARGV[2]) end
return {n, redis.call('PTTL', ARGV[1])}
"#;

/// Counts one event against several budgets at once (registrations per address and in all),
/// or none when one is spent, so refused attempts never use up another budget. Each key's
/// window starts at its first event. ARGV: window (ms), then key/limit pairs; returns 0 when
/// counted, else the milliseconds until the spent budget renews.
pub const HIT: &str = r#"
local w, wait = tonumber(ARGV[1]), 0
for i = 2, #ARGV, 2 do
  if tonumber(redis.call('GET', ARGV[i]) or '0') >= tonumber(ARGV[i + 1]) then
    local left = redis.call('PTTL', ARGV[i])
    if left < 0 then left = w end
    if left > wait then wait = left end
  end
end
if wait > 0 then return wait end
for i = 2, #ARGV, 2 do
  if redis.call('INCR', ARGV[i]) == 1 then redis.call('PEXPIRE', ARGV[i], w) end
end
return 0
"#;
