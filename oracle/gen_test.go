package oracle

import (
	"container/heap"
	"math/rand/v2"
	"slices"

	"github.com/syncsim/syncsim/history"
)

// A small simulation of a correct server and its clients, independent of
// engine/, that records the histories the oracles must accept: clients
// commit changesets and upload them as they go, the server integrates them
// in arrival order and pushes downloads (in batches) to every session,
// connections drop (losing messages in flight and the replies of uploads
// pending on them) and come back, and clients wait for upload and download
// completion now and then.

type genConfig struct {
	seed       uint64
	clients    int
	changesets int // committed by each client
	drops      int // connection drops, spread over the clients
}

type genEvent struct {
	t   int64
	seq int
	fn  func()
}

type genQueue []genEvent

func (q genQueue) Len() int { return len(q) }
func (q genQueue) Less(i, j int) bool {
	return q[i].t < q[j].t || (q[i].t == q[j].t && q[i].seq < q[j].seq)
}
func (q genQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *genQueue) Push(x any)   { *q = append(*q, x.(genEvent)) }
func (q *genQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type genClient struct {
	name       string
	file       uint64
	local      uint64 // versions committed
	acked      uint64
	cursor     history.Cursor
	salted     bool // the cursor is of the realm's epoch (not a fresh replica's)
	conn       int  // the live connection (0: none)
	ready      bool // the connection's first download arrived
	sentUpTo   uint64
	pending    []int // uploads waiting for an acknowledgement
	downloads  []history.ChangesetID
	waitUp     []int // wait-upload records not yet complete
	waitDown   int   // the wait-download record pending, -1 if none
	upArrive   int64 // FIFO: last arrival at the server on this connection
	downArrive int64 // FIFO: last arrival at the client
}

type genServer struct {
	log      []history.ChangesetID
	last     map[uint64]uint64 // per file, the last version integrated
	sessions map[string]*genSession
}

type genSession struct {
	conn  int
	sent  uint64
	acked uint64
}

type gen struct {
	cfg     genConfig
	rng     *rand.Rand
	now     int64
	seq     int
	q       genQueue
	h       history.History
	srv     genServer
	clients []*genClient
	conns   int
}

func generate(cfg genConfig) *history.History {
	g := &gen{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.seed, 0x5eed)),
		srv: genServer{last: map[uint64]uint64{}, sessions: map[string]*genSession{}}}
	for i := range cfg.clients {
		c := &genClient{name: string(rune('a' + i)), file: uint64(i + 1), waitDown: -1}
		g.clients = append(g.clients, c)
		g.h.NewFiles = append(g.h.NewFiles, history.NewFile{Client: c.name, Realm: testRealm, File: c.file, Salt: fsalt(c.file), Call: 0, Return: 10})
		g.at(10, func() { g.connect(c) })
		g.at(10+g.between(1, 300), func() { g.commit(c) })
	}
	for range cfg.drops {
		c := g.clients[g.rng.IntN(len(g.clients))]
		g.at(g.between(100, int64(cfg.changesets)*150), func() { g.drop(c) })
	}
	for len(g.q) > 0 {
		e := heap.Pop(&g.q).(genEvent)
		g.now = e.t
		e.fn()
	}
	for i := range g.h.WaitUploads {
		if w := &g.h.WaitUploads[i]; w.Outcome == "" {
			w.Return, w.Outcome = g.now, history.WaitCancelled
		}
	}
	for i := range g.h.WaitDownloads {
		if w := &g.h.WaitDownloads[i]; w.Outcome == "" {
			w.Return, w.Outcome = g.now, history.WaitCancelled
		}
	}
	return &g.h
}

func (g *gen) at(t int64, fn func()) {
	g.seq++
	heap.Push(&g.q, genEvent{t: t, seq: g.seq, fn: fn})
}

func (g *gen) between(lo, hi int64) int64 { return lo + g.rng.Int64N(hi-lo+1) }

func (g *gen) latency() int64 { return g.between(20, 200) }

// toServer delivers fn at the server if c's connection conn is still up.
func (g *gen) toServer(c *genClient, conn int, fn func()) {
	c.upArrive = max(c.upArrive+1, g.now+g.latency())
	g.at(c.upArrive, func() {
		if c.conn == conn {
			fn()
		}
	})
}

func (g *gen) toClient(c *genClient, conn int, fn func()) {
	c.downArrive = max(c.downArrive+1, g.now+g.latency())
	g.at(c.downArrive, func() {
		if c.conn == conn {
			fn()
		}
	})
}

func (g *gen) connect(c *genClient) {
	g.conns++
	conn := g.conns
	c.conn, c.ready = conn, false
	from := c.cursor
	g.toServer(c, conn, func() {
		s := &genSession{conn: conn, sent: from.ServerVersion, acked: ^uint64(0)}
		g.srv.sessions[c.name] = s
		g.push(c, s)
	})
}

func (g *gen) drop(c *genClient) {
	if c.conn == 0 {
		return
	}
	c.conn, c.ready = 0, false
	c.pending = nil // their replies are lost for good
	if c.waitDown >= 0 {
		g.h.WaitDownloads[c.waitDown].Outcome = history.WaitCancelled
		g.h.WaitDownloads[c.waitDown].Return = g.now
		c.waitDown = -1
	}
	g.at(g.now+g.between(50, 2000), func() { g.connect(c) })
}

func (g *gen) commit(c *genClient) {
	c.local++
	if c.ready {
		g.sendUploads(c)
	}
	switch g.rng.IntN(20) {
	case 0:
		g.h.WaitUploads = append(g.h.WaitUploads, history.WaitUpload{Client: c.name, Realm: testRealm, Call: g.now,
			Covered: ids(c.file, versions(c.local)...)})
		c.waitUp = append(c.waitUp, len(g.h.WaitUploads)-1)
	case 1:
		if c.ready && c.waitDown < 0 {
			g.waitDownload(c)
		}
	}
	if c.local < uint64(g.cfg.changesets) {
		g.at(g.now+g.between(1, 300), func() { g.commit(c) })
	}
}

func versions(n uint64) []uint64 {
	vs := make([]uint64, n)
	for i := range vs {
		vs[i] = uint64(i + 1)
	}
	return vs
}

func (g *gen) sendUploads(c *genClient) {
	if c.sentUpTo >= c.local {
		return
	}
	var vs []uint64
	for v := c.sentUpTo + 1; v <= c.local; v++ {
		vs = append(vs, v)
	}
	c.sentUpTo = c.local
	g.h.Uploads = append(g.h.Uploads, history.Upload{Client: c.name, Realm: testRealm, File: c.file, FileSalt: fsalt(c.file),
		Epoch: salt1, IDs: ids(c.file, vs...), Call: g.now, Return: history.Infinite, Outcome: history.OutcomeUnknown})
	c.pending = append(c.pending, len(g.h.Uploads)-1)
	up, op := ids(c.file, vs...), len(g.h.Uploads)-1
	g.toServer(c, c.conn, func() {
		g.h.Uploads[op].Call = g.now // the server has it: it integrates it now
		for _, id := range up {
			if id.Version > g.srv.last[id.File] {
				g.srv.log = append(g.srv.log, id)
				g.srv.last[id.File] = id.Version
			}
		}
		for _, o := range g.clients {
			if s := g.srv.sessions[o.name]; s != nil && s.conn == o.conn {
				g.push(o, s)
			}
		}
	})
}

func (g *gen) lastOf(file, n uint64) uint64 {
	for v := n; v > 0; v-- {
		if g.srv.log[v-1].File == file {
			return g.srv.log[v-1].Version
		}
	}
	return 0
}

// push sends c's session what it lacks, in batches of at most 8 entries;
// the first download of a session goes even when empty.
func (g *gen) push(c *genClient, s *genSession) {
	latest := uint64(len(g.srv.log))
	ack := g.srv.last[c.file]
	for s.sent < latest || s.acked != ack {
		var es []history.Entry
		for s.sent < latest && len(es) < 8 {
			s.sent++
			if id := g.srv.log[s.sent-1]; id.File != c.file {
				es = append(es, history.Entry{ServerVersion: s.sent, ID: id})
			}
		}
		s.acked = ack
		d := history.Download{Client: c.name, Realm: testRealm, File: c.file, FileSalt: fsalt(c.file),
			Call: g.now, Return: g.now, Outcome: history.OutcomeOK, Entries: es, To: history.Cursor{ServerVersion: s.sent, ClientVersion: g.lastOf(c.file, s.sent)},
			Salt: salt1, Latest: latest, Acked: ack}
		g.toClient(c, s.conn, func() { g.receive(c, d) })
	}
}

func (g *gen) receive(c *genClient, d history.Download) {
	d.From = c.cursor
	if c.salted {
		d.FromSalt = salt1
	}
	g.h.Downloads = append(g.h.Downloads, d)
	c.cursor, c.salted, c.acked = d.To, true, d.Acked
	for _, e := range d.Entries {
		c.downloads = append(c.downloads, e.ID)
	}
	c.pending = slices.DeleteFunc(c.pending, func(i int) bool {
		u := &g.h.Uploads[i]
		if u.IDs[len(u.IDs)-1].Version > d.Acked {
			return false
		}
		u.Return, u.Outcome, u.Acked = d.Return, history.OutcomeOK, d.Acked // when the acknowledgement was sent
		return true
	})
	c.waitUp = slices.DeleteFunc(c.waitUp, func(i int) bool {
		w := &g.h.WaitUploads[i]
		if len(w.Covered) > 0 && w.Covered[len(w.Covered)-1].Version > d.Acked {
			return false
		}
		w.Return, w.Outcome = g.now, history.WaitCompleted
		return true
	})
	if !c.ready {
		c.ready, c.sentUpTo = true, d.Acked
		g.sendUploads(c)
	}
}

// waitDownload sends a MARK; the server echoes it after everything it has,
// and the wait completes when the echo arrives.
func (g *gen) waitDownload(c *genClient) {
	g.h.WaitDownloads = append(g.h.WaitDownloads, history.WaitDownload{Client: c.name, Realm: testRealm, Call: g.now, Return: history.Infinite})
	c.waitDown = len(g.h.WaitDownloads) - 1
	conn := c.conn
	g.toServer(c, conn, func() {
		g.push(c, g.srv.sessions[c.name])
		g.toClient(c, conn, func() {
			w := &g.h.WaitDownloads[c.waitDown]
			w.Return, w.Outcome = g.now, history.WaitCompleted
			w.Integrated = append(ids(c.file, versions(c.local)...), c.downloads...)
			c.waitDown = -1
		})
	})
}
