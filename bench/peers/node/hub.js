#!/usr/bin/env node
// Peer hub for Parley's benchmark: the seed project's (Goular/IM,
// ctrl/chat.go) in-memory hub design, in Node's terms on the `ws` package:
//
//   - clients: a Map userid -> socket (the seed's clientMap);
//   - each socket carries `groups`, a Set of group ids (the seed's GroupSets),
//     loaded on connect from the membership map that POST /bench/join fills
//     (the seed loads it from its database);
//   - cmd 10 sends to the destination user's socket, cmd 11 walks every
//     socket and sends to those whose `groups` has the group.
//
// Node has one thread, so there is no lock and no writer task: ws's own send
// buffering is the per-connection queue, bounded by closing a socket whose
// bufferedAmount passes MAX_BUFFERED. Nothing is persisted.
'use strict';

const http = require('node:http');
const { WebSocketServer } = require('ws');

const CMD_SINGLE_MSG = 10;
const CMD_ROOM_MSG = 11;
// A socket whose unsent data passes this is a slow reader: close it rather
// than let it hold memory without bound.
const MAX_BUFFERED = 8 * 1024 * 1024;
// How often every socket is pinged, like the Go hub's writer.
const PING_PERIOD_MS = 30 * 1000;
// Largest frame read, and largest /bench/join body.
const MAX_PAYLOAD = 64 * 1024;
const MAX_JOIN_BODY = 16 * 1024 * 1024;

function parseArgs(argv) {
  const opts = { addr: '127.0.0.1:8090', mode: 'forward' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const value = () => (eq >= 0 ? arg.slice(eq + 1) : argv[++i]);
    if (name === '--addr' || name === '-addr') opts.addr = value();
    else if (name === '--mode' || name === '-mode') opts.mode = value();
    else throw new Error(`unknown argument ${arg}`);
  }
  if (opts.mode !== 'forward' && opts.mode !== 'reencode') {
    throw new Error(`--mode must be forward or reencode, not ${opts.mode}`);
  }
  const colon = opts.addr.lastIndexOf(':');
  const port = Number(opts.addr.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port)) throw new Error(`bad --addr ${opts.addr}`);
  opts.host = opts.addr.slice(0, colon).replace(/^\[|\]$/g, '') || '127.0.0.1';
  opts.port = port;
  return opts;
}

// The seed's flat message: field order and "omit when zero" as the seed's
// Go struct (json:",omitempty") marshals it.
const INT_FIELDS = new Set(['id', 'userid', 'cmd', 'dstid', 'media', 'amount']);
const FIELDS = ['id', 'userid', 'cmd', 'dstid', 'media', 'content', 'pic', 'url', 'memo', 'amount'];

// Parses a frame into a message with every field present (absent = 0 or ''),
// or returns null where the seed's json.Unmarshal would fail.
function parseMessage(text) {
  let raw;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) return null;
  const msg = {};
  for (const key of FIELDS) {
    const v = raw[key];
    if (INT_FIELDS.has(key)) {
      if (v === undefined || v === null) msg[key] = 0;
      else if (Number.isSafeInteger(v)) msg[key] = v;
      else return null;
    } else if (v === undefined || v === null) msg[key] = '';
    else if (typeof v === 'string') msg[key] = v;
    else return null;
  }
  return msg;
}

function encodeMessage(msg) {
  const out = {};
  for (const key of FIELDS) {
    if (msg[key] !== 0 && msg[key] !== '') out[key] = msg[key];
  }
  // Go's json.Marshal escapes these; do the same so both hubs send the
  // same bytes for the same message.
  return JSON.stringify(out).replace(GO_ESCAPED, (c) => GO_ESCAPES[c]);
}
const GO_ESCAPED = /[<>&\u2028\u2029]/g;
const GO_ESCAPES = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`hub.js: ${err.message}`);
    process.exit(2);
  }
  const reencode = opts.mode === 'reencode';

  /** userid -> socket */
  const clients = new Map();
  /** userid -> Set of group ids; stands in for the seed's contact table */
  const membership = new Map();

  // Sends to one socket: the bytes as received (forward, the seed's way) or
  // the message encoded afresh for this recipient (reencode).
  function deliver(ws, msg, raw) {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED) {
      ws.terminate();
      return;
    }
    if (reencode) ws.send(encodeMessage(msg));
    else ws.send(raw, { binary: false });
  }

  function dispatch(from, data) {
    const msg = parseMessage(data.toString('utf8'));
    if (msg === null) return;
    msg.userid = from.userid; // the session names the sender, not the frame
    if (msg.cmd === CMD_SINGLE_MSG) {
      const ws = clients.get(msg.dstid);
      if (ws !== undefined) deliver(ws, msg, data);
    } else if (msg.cmd === CMD_ROOM_MSG) {
      for (const ws of clients.values()) {
        if (ws !== from && ws.groups.has(msg.dstid)) deliver(ws, msg, data);
      }
    }
  }

  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: MAX_PAYLOAD,
  });

  wss.on('connection', (ws, userid) => {
    ws.userid = userid;
    ws.groups = new Set(membership.get(userid));
    const old = clients.get(userid);
    clients.set(userid, ws);
    if (old !== undefined) old.terminate();
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      if (!isBinary) dispatch(ws, data);
    });
    ws.on('close', () => {
      if (clients.get(userid) === ws) clients.delete(userid);
    });
  });

  setInterval(() => {
    for (const ws of clients.values()) {
      if (ws.readyState === ws.OPEN) ws.ping();
    }
  }, PING_PERIOD_MS).unref();

  function answer(res, status, type, body) {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  function join(req, res) {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_JOIN_BODY) {
        answer(res, 413, 'text/plain', 'too large');
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = null;
      }
      const group = body && body.group;
      const members = body && body.members;
      if (!Number.isSafeInteger(group) || !Array.isArray(members) || !members.every(Number.isSafeInteger)) {
        answer(res, 400, 'text/plain', 'bad json');
        return;
      }
      for (const uid of members) {
        let groups = membership.get(uid);
        if (groups === undefined) membership.set(uid, (groups = new Set()));
        groups.add(group);
        // Like the seed's AddGroupId: a connected socket learns the group now.
        const ws = clients.get(uid);
        if (ws !== undefined) ws.groups.add(group);
      }
      answer(res, 200, 'application/json', '{"ok":true}');
    });
  }

  const server = http.createServer((req, res) => {
    const path = req.url.split('?', 1)[0];
    if (path === '/healthz') answer(res, 200, 'text/plain', 'ok');
    else if (path === '/bench/join' && req.method === 'POST') join(req, res);
    else if (path === '/bench/join') answer(res, 405, 'text/plain', 'POST only');
    else answer(res, 404, 'text/plain', 'not found');
  });

  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {});
    const url = new URL(req.url, 'http://hub');
    const userid = Number(url.searchParams.get('id'));
    if (url.pathname !== '/chat' || !Number.isSafeInteger(userid) || userid <= 0) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // Any Origin is accepted; the token is not checked.
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, userid));
  });

  server.listen(opts.port, opts.host, () => {
    console.log(`node hub listening on ${opts.host}:${opts.port}, mode ${opts.mode}`);
  });
}

main();
