// Checks both peer hubs, in both modes, against the interface the load
// generator relies on (bench/peers/README.md). Starts each hub itself on a
// free port and stops it afterwards.
//
//   node bench/peers/check.mjs OUTDIR            # behaviour, 4 runs
//   node bench/peers/check.mjs OUTDIR --conns N  # also N sockets per hub
//
// OUTDIR is where build.sh put gohub. Ends with "N passed, N failed".
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const WebSocket = createRequire(path.join(here, 'node', 'package.json'))('ws');

const args = process.argv.slice(2);
const outdir = args[0];
if (!outdir) {
  console.error('usage: node bench/peers/check.mjs OUTDIR [--conns N]');
  process.exit(2);
}
const connsAt = args.indexOf('--conns');
const conns = connsAt >= 0 ? Number(args[connsAt + 1]) : 0;

const QUIET_MS = 150; // how long "nobody else got it" is watched
let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok || !detail ? '' : ` -- ${detail}`}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function startHub(kind, mode) {
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const child =
    kind === 'go'
      ? spawn(path.join(outdir, 'gohub'), ['-addr', addr, '-mode', mode], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, [path.join(here, 'node', 'hub.js'), '--addr', addr, '--mode', mode], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  if (process.env.CHECK_SHOW_HUB_LOG) child.stderr.on('data', (d) => process.stderr.write(d));
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://${addr}/healthz`);
      if (res.status === 200 && (await res.text()) === 'ok') return { child, addr, log: () => log };
    } catch {
      /* not up yet */
    }
    await sleep(50);
  }
  child.kill();
  throw new Error(`${kind} hub did not answer /healthz: ${log}`);
}

function stopHub(hub) {
  return new Promise((resolve) => {
    hub.child.once('exit', resolve);
    hub.child.kill('SIGTERM');
  });
}

async function join(addr, group, members) {
  const res = await fetch(`http://${addr}/bench/join`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ group, members }),
  });
  return { status: res.status, body: await res.text() };
}

// A client that records every text frame it receives.
function connect(addr, id) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${addr}/chat?id=${id}&token=x`, { origin: 'http://elsewhere.example' });
    const c = { id, ws, frames: [], closed: false };
    ws.on('message', (data, isBinary) => c.frames.push({ text: data.toString('utf8'), isBinary }));
    ws.on('close', () => (c.closed = true));
    ws.on('open', () => resolve(c));
    ws.on('error', reject);
  });
}

// Sends `text` from `from`, then returns what each of `clients` got.
async function exchange(from, text, clients) {
  const before = clients.map((c) => c.frames.length);
  from.ws.send(text);
  await sleep(QUIET_MS);
  return clients.map((c, i) => c.frames.slice(before[i]));
}

async function behaviour(kind, mode, encoded) {
  const tag = `${kind}/${mode}`;
  const hub = await startHub(kind, mode);
  const { addr } = hub;
  const fwd = mode === 'forward';
  try {
    const [u1, u2, u3] = await Promise.all([connect(addr, 1), connect(addr, 2), connect(addr, 3)]);
    const j = await join(addr, 7, [1, 2, 3]);
    check(`${tag}: POST /bench/join answers 200 {"ok":true}`, j.status === 200 && j.body === '{"ok":true}', JSON.stringify(j));
    const j2 = await join(addr, 7, [1, 2, 3]);
    check(`${tag}: joining twice is harmless`, j2.status === 200);

    // cmd 10 reaches only its destination.
    let text = JSON.stringify({ userid: 1, cmd: 10, dstid: 2, media: 1, content: 'hello <two> & "more"' });
    let [g1, g2, g3] = await exchange(u1, text, [u1, u2, u3]);
    check(`${tag}: cmd 10 reaches user 2 only`, g1.length === 0 && g2.length === 1 && g3.length === 0, JSON.stringify([g1, g2, g3]));
    check(`${tag}: delivered as a text frame`, g2.length === 1 && g2[0].isBinary === false);
    if (g2.length === 1) {
      const got = JSON.parse(g2[0].text);
      check(`${tag}: cmd 10 carries userid 1 and the content`, got.userid === 1 && got.content === 'hello <two> & "more"', g2[0].text);
      if (fwd) check(`${tag}: forward delivers the bytes as received`, g2[0].text === text, g2[0].text);
      else encoded.push({ tag, text: g2[0].text });
    }

    // A spoofed userid: forward passes it through, reencode replaces it.
    text = JSON.stringify({ userid: 99, cmd: 10, dstid: 2, media: 1, content: 'spoof' });
    [g2] = await exchange(u1, text, [u2]);
    if (fwd) check(`${tag}: spoofed userid 99 passes through as written`, g2.length === 1 && g2[0].text === text, JSON.stringify(g2));
    else check(`${tag}: spoofed userid 99 arrives as 1`, g2.length === 1 && JSON.parse(g2[0].text).userid === 1, JSON.stringify(g2));
    // Absent fields: the sender wrote no userid at all.
    text = JSON.stringify({ cmd: 10, dstid: 2, media: 1, content: 'no userid' });
    [g2] = await exchange(u1, text, [u2]);
    if (!fwd) check(`${tag}: a frame without userid arrives with userid 1`, g2.length === 1 && JSON.parse(g2[0].text).userid === 1, JSON.stringify(g2));
    else check(`${tag}: a frame without userid is still delivered`, g2.length === 1, JSON.stringify(g2));

    // cmd 11 reaches the other members, not the sender; a non-member gets nothing.
    const u5 = await connect(addr, 5);
    text = JSON.stringify({ userid: 1, cmd: 11, dstid: 7, media: 1, content: 'to the group' });
    [g1, g2, g3] = await exchange(u1, text, [u1, u2, u3, u5]).then((r) => {
      check(`${tag}: cmd 11 skips a non-member`, r[3].length === 0, JSON.stringify(r[3]));
      return r;
    });
    check(`${tag}: cmd 11 reaches 2 and 3, not the sender`, g1.length === 0 && g2.length === 1 && g3.length === 1, JSON.stringify([g1, g2, g3]));
    if (!fwd && g3.length === 1) check(`${tag}: cmd 11 carries userid 1`, JSON.parse(g3[0].text).userid === 1, g3[0].text);

    // Heartbeat, unknown cmd, bad JSON, wrong types, binary: nobody gets anything.
    const all = [u1, u2, u3, u5];
    for (const [what, t] of [
      ['heartbeat cmd 0', '{"cmd":0}'],
      ['unknown cmd 12', '{"cmd":12,"dstid":2}'],
      ['bad JSON', '{"cmd":10,"dstid":2'],
      ['a string dstid', '{"cmd":10,"dstid":"2"}'],
      ['a JSON array', '[10,2]'],
    ]) {
      const got = await exchange(u1, t, all);
      check(`${tag}: ${what} is ignored`, got.every((g) => g.length === 0), JSON.stringify(got));
    }
    const gotBin = await exchange({ ws: { send: (t) => u1.ws.send(Buffer.from(t), { binary: true }) } }, '{"cmd":10,"dstid":2}', all);
    check(`${tag}: a binary frame is ignored`, gotBin.every((g) => g.length === 0), JSON.stringify(gotBin));
    check(`${tag}: the sender was never closed`, !u1.closed);

    // Joining while connected adds the group to the live connection.
    await join(addr, 9, [1, 3]);
    [g2, g3] = await exchange(u1, JSON.stringify({ cmd: 11, dstid: 9, content: 'nine' }), [u2, u3]);
    check(`${tag}: a join reaches an already-connected member`, g2.length === 0 && g3.length === 1, JSON.stringify([g2, g3]));

    // A user who connects after the join gets the group's messages.
    await join(addr, 7, [4]);
    const u4 = await connect(addr, 4);
    [g2, g3] = await exchange(u1, JSON.stringify({ cmd: 11, dstid: 7, content: 'late' }), [u4, u2]);
    check(`${tag}: a user connecting after the join gets cmd 11`, g2.length === 1 && g3.length === 1, JSON.stringify([g2, g3]));

    // A second connection of user 2 replaces the first.
    const u2b = await connect(addr, 2);
    for (let i = 0; i < 20 && !u2.closed; i++) await sleep(25);
    check(`${tag}: a second connection of user 2 closes the first`, u2.closed);
    [g2, g3] = await exchange(u1, JSON.stringify({ cmd: 10, dstid: 2, content: 'again' }), [u2b, u2]);
    check(`${tag}: cmd 10 goes to the new connection`, g2.length === 1 && g3.length === 0, JSON.stringify([g2, g3]));
    [g2] = await exchange(u1, JSON.stringify({ cmd: 11, dstid: 7, content: 'g again' }), [u2b]);
    check(`${tag}: the new connection has the groups`, g2.length === 1, JSON.stringify(g2));

    // A closed user is gone; messages to it vanish without harm.
    u3.ws.close();
    await sleep(100);
    [g2] = await exchange(u1, JSON.stringify({ cmd: 10, dstid: 3, content: 'gone' }), [u2b]);
    const h = await fetch(`http://${addr}/healthz`);
    check(`${tag}: sending to a departed user is harmless`, h.status === 200 && !u1.closed);

    // Bad upgrade: no id.
    const bad = await new Promise((resolve) => {
      const ws = new WebSocket(`ws://${addr}/chat?token=x`);
      ws.on('open', () => resolve('open'));
      ws.on('error', () => resolve('error'));
    });
    check(`${tag}: /chat without an id is refused`, bad === 'error');

    // A bad join body is refused.
    const jb = await fetch(`http://${addr}/bench/join`, { method: 'POST', body: '{"group":' });
    check(`${tag}: /bench/join with bad JSON answers 400`, jb.status === 400, String(jb.status));

    // A frame over 64 KiB closes its connection.
    const big = await connect(addr, 6);
    big.ws.send(JSON.stringify({ cmd: 10, dstid: 2, content: 'x'.repeat(70 * 1024) }));
    for (let i = 0; i < 40 && !big.closed; i++) await sleep(25);
    check(`${tag}: a frame over 64 KiB closes the connection`, big.closed);

    for (const c of [u1, u4, u5, u2b]) c.ws.close();
    const lines = hub.log().trim().split('\n');
    check(`${tag}: logs one line`, lines.length === 1 && lines[0].includes(addr) && lines[0].includes(mode), hub.log());
  } finally {
    await stopHub(hub);
  }
}

function rssKiB(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

async function many(kind, n) {
  const tag = `${kind}/forward x${n}`;
  const hub = await startHub(kind, 'forward');
  const { addr } = hub;
  const rss0 = rssKiB(hub.child.pid);
  const clients = [];
  const t0 = Date.now();
  try {
    for (let i = 0; i < n; i += 100) {
      const batch = [];
      for (let id = i + 1; id <= Math.min(n, i + 100); id++) batch.push(connect(addr, id));
      clients.push(...(await Promise.all(batch)));
    }
    const tConn = Date.now() - t0;
    const members = clients.map((c) => c.id);
    await join(addr, 1, members);
    const rss1 = rssKiB(hub.child.pid);
    clients[0].ws.send(JSON.stringify({ cmd: 11, dstid: 1, content: 'all' }));
    const deadline = Date.now() + 5000;
    let got = 0;
    while (Date.now() < deadline) {
      got = clients.filter((c) => c.frames.length === 1).length;
      if (got === n - 1) break;
      await sleep(20);
    }
    const open = clients.filter((c) => !c.closed).length;
    check(`${tag}: all ${n} connected, one group send reached the other ${n - 1}`, open === n && got === n - 1, `open ${open}, got ${got}`);
    console.log(`     ${tag}: connected in ${tConn} ms; hub RSS ${rss0} KiB idle -> ${rss1} KiB with ${n} sockets`);
  } finally {
    for (const c of clients) c.ws.terminate();
    await stopHub(hub);
  }
}

// A reader that stops reading is closed by the hub; its sender is not held up.
async function slowReader(kind) {
  const tag = `${kind}/forward slow reader`;
  const hub = await startHub(kind, 'forward');
  const { addr } = hub;
  try {
    const [fast, slow, other] = await Promise.all([connect(addr, 1), connect(addr, 2), connect(addr, 3)]);
    slow.ws._socket.pause();
    const text = JSON.stringify({ cmd: 10, dstid: 2, content: 'x'.repeat(1000) });
    const total = 40000; // ~40 MB: past the kernel's buffers, the queue and 8 MiB
    for (let i = 0; i < total; i++) {
      fast.ws.send(text);
      if (i % 1000 === 999) await sleep(5);
    }
    await sleep(500);
    // The sender still gets through to someone else.
    // (the hub may still be working through the backlog: wait up to 10 s)
    fast.ws.send(JSON.stringify({ cmd: 10, dstid: 3, content: 'still here' }));
    for (let i = 0; i < 200 && other.frames.length === 0; i++) await sleep(50);
    const g = other.frames;
    slow.ws._socket.resume();
    for (let i = 0; i < 100 && !slow.closed; i++) await sleep(50);
    check(`${tag}: the stalled reader is closed`, slow.closed && slow.frames.length < total, `closed ${slow.closed}, got ${slow.frames.length}/${total}`);
    check(`${tag}: the sender is unaffected`, !fast.closed && g.length === 1, `closed ${fast.closed}, got ${g.length}`);
    console.log(`     ${tag}: stalled reader got ${slow.frames.length} of ${total} before the close; hub RSS ${rssKiB(hub.child.pid)} KiB`);
    for (const c of [fast, other]) c.ws.close();
  } finally {
    await stopHub(hub);
  }
}

const encoded = [];
for (const kind of ['go', 'node']) {
  for (const mode of ['forward', 'reencode']) {
    await behaviour(kind, mode, encoded);
  }
}
if (encoded.length === 2) {
  check('go and node reencode a message to the same JSON', encoded[0].text === encoded[1].text, JSON.stringify(encoded));
}
for (const kind of ['go', 'node']) await slowReader(kind);
if (conns > 0) {
  for (const kind of ['go', 'node']) await many(kind, conns);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
