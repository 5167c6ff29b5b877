package network_test

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/sim/clock"
	"github.com/syncsim/syncsim/sim/network"
)

// genDelay draws a delay of up to about maxMs milliseconds, sometimes
// with an exponential tail.
func genDelay(t *rapid.T, name string, maxMs int64) network.Delay {
	lo := rapid.Int64Range(0, maxMs*1e6).Draw(t, name+".min")
	spread := rapid.Int64Range(0, maxMs*1e6).Draw(t, name+".spread")
	tail := rapid.SampledFrom([]int64{0, 0, 1e6, 5e6}).Draw(t, name+".tail")
	return network.Delay{Min: time.Duration(lo), Max: time.Duration(lo + spread), Tail: time.Duration(tail)}
}

func genBandwidth(t *rapid.T) int64 {
	return rapid.SampledFrom([]int64{0, 0, 10_000, 1_000_000, 100_000_000}).Draw(t, "bandwidth")
}

// send is one scripted Send: how long after the script starts, and how big.
type send struct {
	after time.Duration
	size  int
}

func genScript(t *rapid.T, name string) []send {
	return rapid.SliceOfN(rapid.Custom(func(t *rapid.T) send {
		return send{
			after: time.Duration(rapid.Int64Range(0, 50e6).Draw(t, "after")),
			size:  rapid.IntRange(0, 3000).Draw(t, "size"),
		}
	}), 0, 30).Draw(t, name)
}

// play runs a script on conn from now; every message Send accepted is
// appended to sent. With thenClose, the connection is closed after the
// last send.
func play(w *world, conn env.Conn, from string, script []send, sent *[]string, thenClose bool) {
	var last time.Duration
	for i, s := range script {
		last = max(last, s.after)
		w.clk.AfterFunc(s.after, func() {
			m := payload(from, i, s.size)
			if conn.Send(m) == nil {
				*sent = append(*sent, string(m))
			}
		})
	}
	if thenClose {
		w.clk.AfterFunc(last, conn.Close)
	}
}

// requirePrefix checks that got is a prefix of sent.
func requirePrefix(t *rapid.T, sent, got []string, what string) {
	require.LessOrEqual(t, len(got), len(sent), "%s: more delivered than sent", what)
	for i := range got {
		require.Equal(t, sent[i], got[i], "%s: message %d is not what was sent", what, i)
	}
}

// TestDelivery_InOrderExactlyOnceWithoutFaults: in the default mode, whatever
// the latency, jitter, tail and bandwidth, each direction delivers exactly
// what was sent, in order; a close arrives after everything sent before it.
func TestDelivery_InOrderExactlyOnceWithoutFaults(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		o := network.Options{
			Latency:        genDelay(t, "latency", 20),
			ConnectLatency: genDelay(t, "connect", 20),
			Bandwidth:      genBandwidth(t),
		}
		w := newWorld(t, rapid.Uint64().Draw(t, "seed"), o)
		up, down := genScript(t, "up"), genScript(t, "down")
		closeAfter := rapid.Bool().Draw(t, "close")
		var upSent, downSent []string
		w.listen(t, "server", func(p *probe) { play(w, p.conn, "s", down, &downSent, false) })
		c := w.dial("client", "server")
		c.onOpen = func(conn env.Conn) { play(w, conn, "c", up, &upSent, closeAfter) }
		w.run(t)

		s := w.accepted[0]
		require.Equal(t, upSent, s.msgs())
		require.Len(t, upSent, len(up))
		if closeAfter {
			require.Equal(t, []error{env.ErrClosed}, s.closes())
			require.Equal(t, "close", s.kinds()[len(s.events)-1])
			requirePrefix(t, downSent, c.msgs(), "down")
			require.Empty(t, c.closes())
		} else {
			require.Equal(t, downSent, c.msgs())
			require.Len(t, downSent, len(down))
			require.Empty(t, c.closes())
			require.Empty(t, s.closes())
		}
		st := w.net.Stats()
		require.Equal(t, st.Sent, st.Delivered+st.Lost)
	})
}

// TestDelivery_WithDropsEachSideSeesAPrefixThenClose: with drops, each side
// receives a prefix of what the other sent; if the connection broke, both
// sides then get exactly one OnClose(ErrBroken) and nothing after it.
func TestDelivery_WithDropsEachSideSeesAPrefixThenClose(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		o := network.Options{
			Latency:     genDelay(t, "latency", 20),
			DetectDelay: genDelay(t, "detect", 20),
			Bandwidth:   genBandwidth(t),
			DropRate:    rapid.Float64Range(0.001, 0.3).Draw(t, "drop"),
		}
		w := newWorld(t, rapid.Uint64().Draw(t, "seed"), o)
		up, down := genScript(t, "up"), genScript(t, "down")
		var upSent, downSent []string
		w.listen(t, "server", func(p *probe) { play(w, p.conn, "s", down, &downSent, false) })
		c := w.dial("client", "server")
		c.onOpen = func(conn env.Conn) { play(w, conn, "c", up, &upSent, false) }
		w.run(t)

		s := w.accepted[0]
		broken := w.net.Stats().Broken == 1
		for _, side := range []struct {
			name string
			p    *probe
			sent []string
		}{{"client", c, downSent}, {"server", s, upSent}} {
			requirePrefix(t, side.sent, side.p.msgs(), side.name)
			if broken {
				require.Equal(t, []error{env.ErrBroken}, side.p.closes(), side.name)
				require.Equal(t, "close", side.p.kinds()[len(side.p.events)-1], side.name)
			} else {
				require.Equal(t, side.sent, side.p.msgs(), side.name)
				require.Empty(t, side.p.closes(), side.name)
			}
		}
	})
}

// TestPartition_AnyKindBreaksRefusesAndHealedDelivers: a symmetric, one-way
// or isolating partition breaks the open connection (both ends hear
// ErrBroken), refuses dials in either direction while it lasts, and once
// healed a new connection delivers everything both ways.
func TestPartition_AnyKindBreaksRefusesAndHealedDelivers(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		o := network.Options{
			Latency:        genDelay(t, "latency", 20),
			ConnectLatency: genDelay(t, "connect", 20),
			DetectDelay:    genDelay(t, "detect", 20),
			Bandwidth:      genBandwidth(t),
		}
		w := newWorld(t, rapid.Uint64().Draw(t, "seed"), o)
		w.listen(t, "server", nil)
		w.listen(t, "client", nil)
		kind := rapid.SampledFrom([]string{"symmetric", "client->server", "server->client", "isolate client", "isolate server"}).Draw(t, "kind")
		healAll := rapid.Bool().Draw(t, "healAll")
		cut := map[string]func(){
			"symmetric":      func() { w.net.Partition("client", "server") },
			"client->server": func() { w.net.PartitionOneWay("client", "server") },
			"server->client": func() { w.net.PartitionOneWay("server", "client") },
			"isolate client": func() { w.net.Isolate("client") },
			"isolate server": func() { w.net.Isolate("server") },
		}[kind]
		heal := func() {
			switch {
			case healAll:
				w.net.HealAll()
			case kind == "isolate client":
				w.net.Rejoin("client")
			case kind == "isolate server":
				w.net.Rejoin("server")
			default:
				w.net.Heal("server", "client")
			}
		}

		first := w.dial("client", "server")
		w.run(t)
		require.Equal(t, []string{"open"}, first.kinds())
		var before []string
		play(w, first.conn, "c", genScript(t, "before"), &before, false)
		w.clk.AfterFunc(time.Duration(rapid.Int64Range(0, 60e6).Draw(t, "cutAfter")), cut)
		w.run(t)
		require.Equal(t, []error{env.ErrBroken}, first.closes())
		require.Equal(t, []error{env.ErrBroken}, w.accepted[0].closes())
		requirePrefix(t, before, w.accepted[0].msgs(), "before the partition")

		up := w.dial("client", "server")
		downDial := w.dial("server", "client")
		w.run(t)
		require.Equal(t, []error{env.ErrRefused}, up.closes())
		require.Equal(t, []string{"close"}, up.kinds())
		require.Equal(t, []error{env.ErrRefused}, downDial.closes())

		heal()
		var upSent, downSent []string
		down := genScript(t, "down")
		n := len(w.accepted)
		after := w.dial("client", "server")
		after.onOpen = func(conn env.Conn) { play(w, conn, "c", genScript(t, "up"), &upSent, false) }
		w.run(t)
		require.Equal(t, []string{"open"}, after.kinds())
		require.Len(t, w.accepted, n+1)
		play(w, w.accepted[n].conn, "s", down, &downSent, false)
		w.run(t)
		require.Equal(t, upSent, w.accepted[n].msgs())
		require.Equal(t, downSent, after.msgs())
		require.Empty(t, after.closes())
	})
}

// TestDial_RefusedDialsNeverOpen: every dial ends in exactly one of OnOpen
// or OnClose(ErrRefused), never both; without a listener or across a
// partition it is always refused; the stats agree.
func TestDial_RefusedDialsNeverOpen(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		o := network.Options{
			ConnectLatency: genDelay(t, "connect", 20),
			RefuseRate:     rapid.SampledFrom([]float64{0, 0.3, 0.9, 1}).Draw(t, "refuse"),
		}
		w := newWorld(t, rapid.Uint64().Draw(t, "seed"), o)
		listening := rapid.Bool().Draw(t, "listening")
		partitioned := rapid.Bool().Draw(t, "partitioned")
		if listening {
			w.listen(t, "server", nil)
		}
		if partitioned {
			w.net.Partition("client", "server")
		}
		k := rapid.IntRange(1, 20).Draw(t, "dials")
		var probes []*probe
		for i := range k {
			w.clk.AfterFunc(time.Duration(rapid.Int64Range(0, 30e6).Draw(t, fmt.Sprint("start", i))), func() {
				probes = append(probes, w.dial("client", "server"))
			})
		}
		w.run(t)
		opened := 0
		for _, p := range probes {
			switch p.kinds()[0] {
			case "open":
				opened++
				require.Equal(t, []string{"open"}, p.kinds())
			default:
				require.Equal(t, []string{"close"}, p.kinds())
				require.ErrorIs(t, p.events[0].err, env.ErrRefused)
			}
		}
		if !listening || partitioned || o.RefuseRate == 1 {
			require.Zero(t, opened)
		}
		if listening && !partitioned && o.RefuseRate == 0 {
			require.Equal(t, k, opened)
		}
		require.Len(t, w.accepted, opened)
		st := w.net.Stats()
		require.Equal(t, uint64(opened), st.Opened)
		require.Equal(t, uint64(k-opened), st.Refused)
	})
}

// TestClog_HoldsThenReleasesInOrderProperty: a message whose arrival falls
// within a clog arrives when the clog ends, others on time; order holds.
func TestClog_HoldsThenReleasesInOrderProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		// Sends and latencies are even milliseconds and clogs start on odd
		// ones, so no arrival ties with a clog's start.
		lat := ms(2 * rapid.IntRange(0, 10).Draw(t, "latency"))
		w := newWorld(t, 1, network.Options{Latency: network.Fixed(lat)})
		w.listen(t, "server", nil)
		c := w.dial("client", "server")
		w.run(t)
		s := w.accepted[0]
		start := ms(2*rapid.IntRange(0, 50).Draw(t, "start") + 1)
		end := start + ms(rapid.IntRange(1, 100).Draw(t, "length"))
		target := rapid.SampledFrom([]string{"client", "server", "link up"}).Draw(t, "target")
		w.at(start, func() {
			if target == "link up" {
				w.net.ClogLink("client", "server", end-start)
			} else {
				w.net.Clog(target, end-start)
			}
		})
		type sent struct {
			at  time.Duration
			msg string
		}
		var ups, downs []sent
		for i, k := range rapid.SliceOfN(rapid.IntRange(1, 100), 0, 40).Draw(t, "up") {
			at := ms(2 * k)
			ups = append(ups, sent{at, fmt.Sprint("u", i)})
		}
		for i, k := range rapid.SliceOfN(rapid.IntRange(1, 100), 0, 40).Draw(t, "down") {
			at := ms(2 * k)
			downs = append(downs, sent{at, fmt.Sprint("d", i)})
		}
		// Sends at the same time are made in script order.
		byTime := func(a, b sent) int { return cmp.Compare(a.at, b.at) }
		slices.SortStableFunc(ups, byTime)
		slices.SortStableFunc(downs, byTime)
		for _, u := range ups {
			w.at(u.at, func() { require.NoError(t, c.conn.Send([]byte(u.msg))) })
		}
		for _, d := range downs {
			w.at(d.at, func() { require.NoError(t, s.conn.Send([]byte(d.msg))) })
		}
		w.run(t)
		check := func(p *probe, list []sent, clogged bool, what string) {
			var wantMsgs []string
			var wantAt []clock.Time
			for _, m := range list {
				arrive := m.at + lat
				if clogged && arrive >= start && arrive < end {
					arrive = end
				}
				wantMsgs = append(wantMsgs, m.msg)
				wantAt = append(wantAt, tm(arrive))
			}
			require.Equal(t, wantMsgs, p.msgs(), what)
			require.Equal(t, wantAt, p.at("msg"), what)
		}
		check(s, ups, true, "up")
		check(c, downs, target != "link up", "down")
		require.Empty(t, c.closes())
	})
}

// TestBandwidth_SpacesDeliveriesBySizeOverBandwidth: a direction sends one
// message at a time, each taking size/bandwidth, then one latency.
func TestBandwidth_SpacesDeliveriesBySizeOverBandwidth(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		bw := rapid.Int64Range(1000, 10_000_000).Draw(t, "bandwidth")
		lat := time.Duration(rapid.Int64Range(0, 20e6).Draw(t, "latency"))
		w := newWorld(t, 1, network.Options{Latency: network.Fixed(lat), Bandwidth: bw})
		w.listen(t, "server", nil)
		c := w.dial("client", "server")
		w.run(t)
		script := genScript(t, "script")
		var sent []string
		play(w, c.conn, "c", script, &sent, false)
		w.run(t)
		// Model: the script's sends in time order (AfterFunc keeps the
		// order of equal times), each leaving after the previous one.
		ordered := make([]send, len(script))
		for i, s := range script {
			ordered[i] = send{after: s.after, size: len(payload("c", i, s.size))}
		}
		slices.SortStableFunc(ordered, func(a, b send) int { return cmp.Compare(a.after, b.after) })
		var want []clock.Time
		var done time.Duration
		for _, s := range ordered {
			tx := time.Duration(int64(s.size) * int64(time.Second) / bw)
			done = max(done, s.after) + tx
			want = append(want, tm(done+lat))
		}
		require.Equal(t, sent, w.accepted[0].msgs())
		require.Equal(t, want, w.accepted[0].at("msg"))
	})
}

// scenarioLog runs a busy little world with every kind of fault and
// returns its trace and every callback seen, as lines.
func scenarioLog(t require.TestingT, seed uint64, o network.Options) []string {
	w := newWorld(t, seed, o)
	var log []string
	w.listen(t, "server", func(p *probe) {
		p.onMsg = func(c env.Conn, msg []byte) { _ = c.Send(append([]byte("re:"), msg...)) }
	})
	var connect func(name string, attempt int)
	connect = func(name string, attempt int) {
		p := &probe{clk: w.clk}
		p.onOpen = func(c env.Conn) {
			for i := range 20 {
				w.clk.AfterFunc(ms(i), func() { _ = c.Send(payload(name, i, 10*i)) })
			}
		}
		h := &logHandler{probe: p, log: &log, name: fmt.Sprint(name, "#", attempt), onClose: func() {
			if attempt < 3 {
				w.clk.AfterFunc(ms(10), func() { connect(name, attempt+1) })
			}
		}}
		p.conn = w.net.Node(name).Dial("server", h)
	}
	for _, name := range []string{"c1", "c2", "c3"} {
		connect(name, 0)
	}
	w.at(ms(5), func() { w.net.Partition("c1", "server") })
	w.at(ms(30), func() { w.net.Heal("c1", "server") })
	w.at(ms(8), func() { w.net.Clog("c2", ms(20)) })
	w.at(ms(12), func() { w.net.Disconnect("c3") })
	w.at(ms(40), func() { w.net.Crash("server") })
	w.run(t)
	return append(w.rec.lines, log...)
}

// logHandler logs a probe's callbacks as lines and reconnects on close.
type logHandler struct {
	*probe
	log     *[]string
	name    string
	onClose func()
}

func (h *logHandler) OnOpen(c env.Conn) {
	*h.log = append(*h.log, fmt.Sprint(h.clk.Now(), " ", h.name, " open"))
	h.probe.OnOpen(c)
}

func (h *logHandler) OnMessage(c env.Conn, msg []byte) {
	*h.log = append(*h.log, fmt.Sprint(h.clk.Now(), " ", h.name, " msg ", string(msg)))
}

func (h *logHandler) OnClose(c env.Conn, err error) {
	*h.log = append(*h.log, fmt.Sprint(h.clk.Now(), " ", h.name, " close ", err))
	h.onClose()
}

// TestDeterminism_SameSeedSameRun: the same seed and options give the same
// trace and the same callbacks at the same times, faults and stress mode
// included.
func TestDeterminism_SameSeedSameRun(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		o := network.Options{
			Latency:        genDelay(t, "latency", 10),
			ConnectLatency: genDelay(t, "connect", 10),
			DetectDelay:    genDelay(t, "detect", 10),
			Bandwidth:      genBandwidth(t),
			DropRate:       rapid.Float64Range(0, 0.05).Draw(t, "drop"),
			RefuseRate:     rapid.Float64Range(0, 0.3).Draw(t, "refuse"),
			DuplicateRate:  rapid.Float64Range(0, 0.2).Draw(t, "duplicate"),
			ReorderRate:    rapid.Float64Range(0, 0.2).Draw(t, "reorder"),
			TraceMessages:  true,
		}
		seed := rapid.Uint64().Draw(t, "seed")
		a := scenarioLog(t, seed, o)
		b := scenarioLog(t, seed, o)
		require.Equal(t, a, b)
		require.NotEmpty(t, a)
	})
}
