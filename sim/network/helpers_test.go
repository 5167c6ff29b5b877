package network_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/sim/clock"
	"github.com/syncsim/syncsim/sim/network"
	"github.com/syncsim/syncsim/sim/rng"
	"github.com/syncsim/syncsim/sim/trace"
)

var _ network.Recorder = (*trace.Recorder)(nil)

// lineRec is a Recorder keeping one readable line per event.
type lineRec struct{ lines []string }

func (r *lineRec) Record(t int64, node, kind string, attrs ...slog.Attr) {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %q %s", t, node, kind)
	for _, a := range attrs {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	r.lines = append(r.lines, b.String())
}

// count is the number of events of kind whose line contains every part.
func (r *lineRec) count(kind string, parts ...string) int {
	k := 0
next:
	for _, l := range r.lines {
		if strings.Fields(l)[2] != kind {
			continue
		}
		for _, p := range parts {
			if !strings.Contains(l, p) {
				continue next
			}
		}
		k++
	}
	return k
}

// ev is one callback a probe saw.
type ev struct {
	t    clock.Time
	kind string // "open", "msg" or "close"
	data string
	err  error
}

// probe is a Handler that logs its callbacks and may react to them.
type probe struct {
	clk    *clock.Clock
	conn   env.Conn
	events []ev
	onOpen func(c env.Conn)
	onMsg  func(c env.Conn, msg []byte)
}

func (p *probe) OnOpen(c env.Conn) {
	p.events = append(p.events, ev{t: p.clk.Now(), kind: "open"})
	if p.onOpen != nil {
		p.onOpen(c)
	}
}

func (p *probe) OnMessage(c env.Conn, msg []byte) {
	p.events = append(p.events, ev{t: p.clk.Now(), kind: "msg", data: string(msg)})
	if p.onMsg != nil {
		p.onMsg(c, msg)
	}
}

func (p *probe) OnClose(c env.Conn, err error) {
	p.events = append(p.events, ev{t: p.clk.Now(), kind: "close", err: err})
}

func (p *probe) msgs() []string {
	var out []string
	for _, e := range p.events {
		if e.kind == "msg" {
			out = append(out, e.data)
		}
	}
	return out
}

func (p *probe) kinds() []string {
	var out []string
	for _, e := range p.events {
		out = append(out, e.kind)
	}
	return out
}

// closes returns the errors of the OnClose calls.
func (p *probe) closes() []error {
	var out []error
	for _, e := range p.events {
		if e.kind == "close" {
			out = append(out, e.err)
		}
	}
	return out
}

// at returns the times of the events of one kind.
func (p *probe) at(kind string) []clock.Time {
	var out []clock.Time
	for _, e := range p.events {
		if e.kind == kind {
			out = append(out, e.t)
		}
	}
	return out
}

// world is a clock, a network and the probes of every connection.
type world struct {
	clk      *clock.Clock
	net      *network.Network
	rec      *lineRec
	accepted []*probe // incoming connections, in accept order
}

func newWorld(t require.TestingT, seed uint64, o network.Options) *world {
	clk := clock.New()
	rec := &lineRec{}
	n, err := network.New(clk, rng.New(seed).Fork("network"), rec, o)
	require.NoError(t, err)
	return &world{clk: clk, net: n, rec: rec}
}

// listen makes name accept connections with a fresh probe each, which
// calls onAccept (if set) when the connection arrives.
func (w *world) listen(t require.TestingT, name string, onAccept func(p *probe)) {
	err := w.net.Node(name).Listen(name, func(c env.Conn) env.Handler {
		p := &probe{clk: w.clk, conn: c}
		w.accepted = append(w.accepted, p)
		if onAccept != nil {
			onAccept(p)
		}
		return p
	})
	require.NoError(t, err)
}

func (w *world) dial(from, to string) *probe {
	p := &probe{clk: w.clk}
	p.conn = w.net.Node(from).Dial(to, p)
	return p
}

// at runs fn at virtual time t.
func (w *world) at(t time.Duration, fn func()) { w.clk.At(clock.Time(t), fn) }

// run runs the world until nothing is left to do.
func (w *world) run(t require.TestingT) {
	require.NoError(t, w.clk.Run(clock.Never, 10_000_000))
}

// payload is a message naming its sender and index, padded to size bytes.
func payload(from string, i, size int) []byte {
	s := fmt.Sprintf("%s%d.", from, i)
	if len(s) < size {
		s += strings.Repeat("x", size-len(s))
	}
	return []byte(s)
}

func sendAll(t testing.TB, c env.Conn, msgs ...string) {
	for _, m := range msgs {
		require.NoError(t, c.Send([]byte(m)))
	}
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func tm(d time.Duration) clock.Time { return clock.Time(d) }
