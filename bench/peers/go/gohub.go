// gohub is a peer hub for Parley's benchmark: a re-implementation of the
// seed project's (Goular/IM, ctrl/chat.go) in-memory WebSocket hub, kept to
// its design so the benchmark compares Parley against what the seed does:
//
//   - one Node per connection: the socket, a buffered DataQueue channel and
//     GroupSets (the ids of the groups the user is in);
//   - a reader goroutine and a writer goroutine per connection; the writer
//     alone writes to the socket ("parallel to serial" through DataQueue);
//   - clientMap userid -> Node under one sync.RWMutex;
//   - cmd 10 queues to the destination user's node, cmd 11 walks every node
//     and queues to those whose GroupSets holds the group.
//
// Nothing is persisted. The seed reads a user's groups from its database on
// connect; here POST /bench/join fills an in-memory membership map instead.
//
// Where this differs from the seed (on purpose, see bench/peers/README.md):
// the sender is taken from the session, not the frame; a group message is
// not echoed to its sender; a full DataQueue closes that connection rather
// than blocking the sender's reader; a replaced or closed connection leaves
// clientMap; there is no UDP fan-out between processes (one process only).
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Commands of the seed's flat message.
const (
	cmdSingleMsg = 10
	cmdRoomMsg   = 11
)

const (
	// queueLen bounds a connection's DataQueue: a reader that falls this far
	// behind is closed instead of stalling the senders.
	queueLen = 1024
	// pingPeriod is how often the writer pings an idle or busy client.
	pingPeriod = 30 * time.Second
	// controlWait bounds the write of a ping or close frame.
	controlWait = 10 * time.Second
	// maxFrame is the largest frame read, like the Node hub's maxPayload.
	maxFrame = 64 << 10
)

// Message is the seed's flat message, with the seed's own JSON tags.
type Message struct {
	Id      int64  `json:"id,omitempty"`
	Userid  int64  `json:"userid,omitempty"`
	Cmd     int    `json:"cmd,omitempty"`
	Dstid   int64  `json:"dstid,omitempty"`
	Media   int    `json:"media,omitempty"`
	Content string `json:"content,omitempty"`
	Pic     string `json:"pic,omitempty"`
	Url     string `json:"url,omitempty"`
	Memo    string `json:"memo,omitempty"`
	Amount  int    `json:"amount,omitempty"`
}

// groupSet is a thread-safe set of group ids, as the seed's set.ThreadSafe.
type groupSet struct {
	mu  sync.RWMutex
	ids map[int64]struct{}
}

func newGroupSet() *groupSet { return &groupSet{ids: make(map[int64]struct{})} }

func (s *groupSet) Add(id int64) {
	s.mu.Lock()
	s.ids[id] = struct{}{}
	s.mu.Unlock()
}

func (s *groupSet) Has(id int64) bool {
	s.mu.RLock()
	_, ok := s.ids[id]
	s.mu.RUnlock()
	return ok
}

// Node is one connection: its socket, its outgoing queue and its groups.
type Node struct {
	Userid    int64
	Conn      *websocket.Conn
	DataQueue chan []byte
	GroupSets *groupSet

	closeOnce sync.Once
	done      chan struct{}
}

// Close ends the connection once; both goroutines then return.
func (n *Node) Close() {
	n.closeOnce.Do(func() {
		close(n.done)
		n.Conn.Close()
	})
}

// push queues data without blocking; a node whose queue is full is closed.
func (n *Node) push(data []byte) {
	select {
	case n.DataQueue <- data:
	default:
		n.Close()
	}
}

// hub holds the seed's two maps: who is connected, and who is in which group.
type hub struct {
	reencode bool

	rwlocker  sync.RWMutex
	clientMap map[int64]*Node

	// membership stands in for the seed's contact table: userid -> group ids.
	memberMu   sync.RWMutex
	membership map[int64]map[int64]struct{}
}

var upgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 1024,
	CheckOrigin:     func(*http.Request) bool { return true },
}

// chat upgrades GET /chat?id=<userid>&token=<any> and runs the node.
func (h *hub) chat(w http.ResponseWriter, r *http.Request) {
	userID, err := strconv.ParseInt(r.URL.Query().Get("id"), 10, 64)
	if err != nil || userID <= 0 {
		http.Error(w, "bad id", http.StatusBadRequest)
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered already
	}
	conn.SetReadLimit(maxFrame)
	node := &Node{
		Userid:    userID,
		Conn:      conn,
		DataQueue: make(chan []byte, queueLen),
		GroupSets: newGroupSet(),
		done:      make(chan struct{}),
	}
	// Load the user's groups, as the seed does from its database. Holding
	// memberMu across the registration below means a concurrent join either
	// sees this node in clientMap or is seen here.
	h.memberMu.RLock()
	for gid := range h.membership[userID] {
		node.GroupSets.Add(gid)
	}
	h.rwlocker.Lock()
	old := h.clientMap[userID]
	h.clientMap[userID] = node
	h.rwlocker.Unlock()
	h.memberMu.RUnlock()
	if old != nil {
		old.Close()
	}
	go h.sendproc(node)
	go h.recvproc(node)
}

// sendproc is the only writer of the node's socket.
func (h *hub) sendproc(node *Node) {
	ticker := time.NewTicker(pingPeriod)
	defer ticker.Stop()
	defer node.Close()
	for {
		select {
		case data := <-node.DataQueue:
			if err := node.Conn.WriteMessage(websocket.TextMessage, data); err != nil {
				return
			}
		case <-ticker.C:
			if err := node.Conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(controlWait)); err != nil {
				return
			}
		case <-node.done:
			return
		}
	}
}

// recvproc reads frames until the socket fails, then unregisters the node.
func (h *hub) recvproc(node *Node) {
	defer func() {
		h.rwlocker.Lock()
		if h.clientMap[node.Userid] == node {
			delete(h.clientMap, node.Userid)
		}
		h.rwlocker.Unlock()
		node.Close()
	}()
	for {
		kind, data, err := node.Conn.ReadMessage()
		if err != nil {
			return
		}
		if kind == websocket.TextMessage {
			h.dispatch(node, data)
		}
	}
}

// dispatch routes one received frame; bad JSON and other cmds are dropped.
func (h *hub) dispatch(from *Node, data []byte) {
	var msg Message
	if err := json.Unmarshal(data, &msg); err != nil {
		return
	}
	msg.Userid = from.Userid // the session names the sender, not the frame
	switch msg.Cmd {
	case cmdSingleMsg:
		h.rwlocker.RLock()
		node, ok := h.clientMap[msg.Dstid]
		h.rwlocker.RUnlock()
		if ok {
			h.deliver(node, &msg, data)
		}
	case cmdRoomMsg:
		h.rwlocker.RLock()
		for _, node := range h.clientMap {
			if node != from && node.GroupSets.Has(msg.Dstid) {
				h.deliver(node, &msg, data)
			}
		}
		h.rwlocker.RUnlock()
	}
}

// deliver queues the frame as received (forward, the seed's way) or the
// message encoded afresh for this one recipient (reencode).
func (h *hub) deliver(node *Node, msg *Message, raw []byte) {
	if !h.reencode {
		node.push(raw)
		return
	}
	out, err := json.Marshal(msg)
	if err != nil {
		return
	}
	node.push(out)
}

// join handles POST /bench/join {"group": G, "members": [u, ...]}.
func (h *hub) join(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	var req struct {
		Group   int64   `json:"group"`
		Members []int64 `json:"members"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<20)).Decode(&req); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	h.memberMu.Lock()
	for _, uid := range req.Members {
		groups := h.membership[uid]
		if groups == nil {
			groups = make(map[int64]struct{})
			h.membership[uid] = groups
		}
		groups[req.Group] = struct{}{}
	}
	// Like the seed's AddGroupId: the connected nodes learn the group now.
	h.rwlocker.RLock()
	for _, uid := range req.Members {
		if node, ok := h.clientMap[uid]; ok {
			node.GroupSets.Add(req.Group)
		}
	}
	h.rwlocker.RUnlock()
	h.memberMu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"ok":true}`))
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	mode := flag.String("mode", "forward", "forward | reencode")
	flag.Parse()
	if *mode != "forward" && *mode != "reencode" {
		log.Fatalf("gohub: -mode must be forward or reencode, not %q", *mode)
	}
	h := &hub{
		reencode:   *mode == "reencode",
		clientMap:  make(map[int64]*Node),
		membership: make(map[int64]map[int64]struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok"))
	})
	mux.HandleFunc("/bench/join", h.join)
	mux.HandleFunc("/chat", h.chat)
	log.Printf("gohub listening on %s, mode %s", *addr, *mode)
	log.Fatal(http.ListenAndServe(*addr, mux))
}
