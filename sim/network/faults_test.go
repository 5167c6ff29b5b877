package network_test

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/sim/clock"
	"github.com/syncsim/syncsim/sim/network"
)

// TestDropRate_BreaksConnectionAndLosesInFlight: at a drop the message
// and everything else in flight are lost, Send fails at once, and both
// ends hear ErrBroken one detection delay later.
func TestDropRate_BreaksConnectionAndLosesInFlight(t *testing.T) {
	w := newWorld(t, 1, network.Options{Latency: network.Fixed(ms(10)), DetectDelay: network.Fixed(ms(3)), DropRate: 1})
	w.listen(t, "server", func(p *probe) { sendAll(t, p.conn, "s1") })
	c := w.dial("client", "server")
	c.onOpen = func(conn env.Conn) { sendAll(t, conn, "c1", "c2", "c3") }
	var sendErr error
	w.at(ms(11), func() { sendErr = c.conn.Send([]byte("c4")) })
	w.run(t)
	s := w.accepted[0]
	assert.ErrorIs(t, sendErr, env.ErrClosed)
	assert.Equal(t, []string{"open", "close"}, c.kinds())
	assert.Equal(t, []error{env.ErrBroken}, c.closes())
	assert.Equal(t, []error{env.ErrBroken}, s.closes())
	assert.Equal(t, []clock.Time{tm(ms(13))}, c.at("close"))
	assert.Equal(t, []clock.Time{tm(ms(13))}, s.at("close"))
	st := w.net.Stats()
	assert.Equal(t, uint64(1), st.Broken)
	assert.Equal(t, uint64(4), st.Lost)
	assert.Equal(t, uint64(0), st.Delivered)
	assert.Equal(t, 1, w.rec.count("net.break", "conn=1", "cause=drop", "lost=4"))
}

// TestBreak_CloseBeforeDetectionSilencesTheEnd: an end that closes after
// a break but before hearing of it gets no callback.
func TestBreak_CloseBeforeDetectionSilencesTheEnd(t *testing.T) {
	w := newWorld(t, 1, network.Options{DetectDelay: network.Fixed(ms(5))})
	w.listen(t, "server", nil)
	c := w.dial("client", "server")
	w.at(ms(1), func() { w.net.Disconnect("client") })
	w.at(ms(2), c.conn.Close)
	w.run(t)
	assert.Equal(t, []string{"open"}, c.kinds())
	assert.Equal(t, []error{env.ErrBroken}, w.accepted[0].closes())
}

// TestPartition_BreaksRefusesAndHeals: a partition breaks the connections
// between the two nodes and refuses dials; other pairs are untouched;
// after Heal new connections work.
func TestPartition_BreaksRefusesAndHeals(t *testing.T) {
	w := newWorld(t, 1, network.Options{Latency: network.Fixed(ms(1)), DetectDelay: network.Fixed(ms(4))})
	w.listen(t, "server", nil)
	c1 := w.dial("c1", "server")
	c2 := w.dial("c2", "server")
	var during, after *probe
	w.at(ms(10), func() { w.net.Partition("server", "c1") })
	w.at(ms(20), func() { during = w.dial("c1", "server") })
	w.at(ms(30), func() { w.net.Heal("c1", "server") })
	w.at(ms(40), func() {
		after = w.dial("c1", "server")
		after.onOpen = func(conn env.Conn) { sendAll(t, conn, "hello") }
		sendAll(t, c2.conn, "still here")
	})
	w.run(t)
	assert.Equal(t, []string{"open", "close"}, c1.kinds())
	assert.Equal(t, []error{env.ErrBroken}, c1.closes())
	assert.Equal(t, tm(ms(14)), c1.at("close")[0])
	assert.Equal(t, []error{env.ErrBroken}, w.accepted[0].closes())
	assert.Equal(t, []error{env.ErrRefused}, during.closes())
	assert.Equal(t, []string{"open"}, after.kinds())
	require.Len(t, w.accepted, 3)
	assert.Equal(t, []string{"still here"}, w.accepted[1].msgs())
	assert.Equal(t, []string{"hello"}, w.accepted[2].msgs())
	assert.Empty(t, c2.closes())
	assert.Equal(t, 1, w.rec.count("net.partition", "a=server", "b=c1"))
	assert.Equal(t, 1, w.rec.count("net.break", "cause=partition"))
	assert.Equal(t, 1, w.rec.count("net.refuse", "reason=partition"))
	assert.Equal(t, 1, w.rec.count("net.heal"))
}

// TestPartitionOneWay_CutsTheConnectionBothWays: a connection needs both
// directions, so cutting either one breaks it and refuses dials either way.
func TestPartitionOneWay_CutsTheConnectionBothWays(t *testing.T) {
	for _, cut := range [][2]string{{"client", "server"}, {"server", "client"}} {
		t.Run(cut[0]+"->"+cut[1], func(t *testing.T) {
			w := newWorld(t, 1, network.Options{})
			w.listen(t, "server", nil)
			w.listen(t, "client", nil)
			c := w.dial("client", "server")
			other := w.dial("other", "server")
			var fromClient, fromServer *probe
			w.at(ms(1), func() { w.net.PartitionOneWay(cut[0], cut[1]) })
			w.at(ms(2), func() {
				fromClient = w.dial("client", "server")
				fromServer = w.dial("server", "client")
			})
			w.run(t)
			assert.Equal(t, []error{env.ErrBroken}, c.closes())
			assert.Equal(t, []error{env.ErrRefused}, fromClient.closes())
			assert.Equal(t, []error{env.ErrRefused}, fromServer.closes())
			assert.Empty(t, other.closes())
			assert.Equal(t, 1, w.rec.count("net.partition-oneway", "from="+cut[0], "to="+cut[1]))

			w.net.Heal(cut[1], cut[0])
			again := w.dial("client", "server")
			w.run(t)
			assert.Equal(t, []string{"open"}, again.kinds())
		})
	}
}

// TestIsolate_CutsANodeOffUntilRejoin: an isolated node loses its links to
// every other node (not its loopback) and cannot dial or be dialled until
// it rejoins; HealAll also ends isolation.
func TestIsolate_CutsANodeOffUntilRejoin(t *testing.T) {
	w := newWorld(t, 1, network.Options{})
	w.listen(t, "server", nil)
	c1 := w.dial("c1", "server")
	c2 := w.dial("c2", "server")
	self := w.dial("server", "server")
	var refused, rejoined, healed *probe
	w.at(ms(1), func() { w.net.Isolate("server") })
	w.at(ms(2), func() { refused = w.dial("c1", "server") })
	w.at(ms(3), func() { w.net.Rejoin("server") })
	w.at(ms(4), func() { rejoined = w.dial("c1", "server") })
	w.at(ms(5), func() { w.net.Isolate("c1"); w.net.HealAll() })
	w.at(ms(6), func() { healed = w.dial("c1", "server") })
	w.run(t)
	assert.Equal(t, []error{env.ErrBroken}, c1.closes())
	assert.Equal(t, []error{env.ErrBroken}, c2.closes())
	assert.Empty(t, self.closes())
	assert.Equal(t, []error{env.ErrRefused}, refused.closes())
	assert.Equal(t, []string{"open", "close"}, rejoined.kinds(), "isolating c1 breaks the rejoined connection")
	assert.Equal(t, []string{"open"}, healed.kinds())
	assert.Equal(t, 2, w.rec.count("net.isolate"))
	assert.Equal(t, 1, w.rec.count("net.rejoin"))
	assert.Equal(t, 1, w.rec.count("net.heal-all"))
}

// TestClog_HoldsThenReleasesInOrder: while a node is clogged nothing
// from or to it arrives; at the end everything held arrives at once, in
// order, and the connection survives.
func TestClog_HoldsThenReleasesInOrder(t *testing.T) {
	w := newWorld(t, 1, network.Options{Latency: network.Fixed(ms(1))})
	w.listen(t, "server", nil)
	c := w.dial("client", "server")
	w.at(ms(5), func() { w.net.Clog("server", ms(100)) })
	for i := range 5 {
		w.at(ms(10*(i+1)), func() { sendAll(t, c.conn, "c"+strconv.Itoa(i)) })
	}
	w.at(ms(20), func() { sendAll(t, w.accepted[0].conn, "s0") })
	w.at(ms(200), func() { sendAll(t, c.conn, "after") })
	w.run(t)
	s := w.accepted[0]
	assert.Equal(t, []string{"c0", "c1", "c2", "c3", "c4", "after"}, s.msgs())
	assert.Equal(t, []clock.Time{tm(ms(105)), tm(ms(105)), tm(ms(105)), tm(ms(105)), tm(ms(105)), tm(ms(201))}, s.at("msg"))
	assert.Equal(t, []string{"s0"}, c.msgs())
	assert.Equal(t, []clock.Time{tm(ms(105))}, c.at("msg"))
	assert.Empty(t, s.closes())
	assert.Equal(t, 1, w.rec.count("net.clog", "for=100ms"))
}

// TestClog_EndsEarly: a zero clog, and HealAll, release held messages now.
func TestClog_EndsEarly(t *testing.T) {
	for _, tt := range []struct {
		name   string
		unclog func(w *world)
	}{
		{"Clog 0", func(w *world) { w.net.Clog("server", 0) }},
		{"HealAll", func(w *world) { w.net.HealAll() }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, 1, network.Options{Latency: network.Fixed(ms(1))})
			w.listen(t, "server", nil)
			c := w.dial("client", "server")
			w.at(ms(5), func() { w.net.Clog("server", ms(1000)) })
			w.at(ms(10), func() { sendAll(t, c.conn, "a", "b") })
			w.at(ms(50), func() { tt.unclog(w) })
			w.run(t)
			assert.Equal(t, []string{"a", "b"}, w.accepted[0].msgs())
			assert.Equal(t, []clock.Time{tm(ms(50)), tm(ms(50))}, w.accepted[0].at("msg"))
		})
	}
}

// TestClogLink_HoldsOneDirectionOnly.
func TestClogLink_HoldsOneDirectionOnly(t *testing.T) {
	w := newWorld(t, 1, network.Options{Latency: network.Fixed(ms(1))})
	w.listen(t, "server", nil)
	c := w.dial("client", "server")
	w.at(ms(5), func() { w.net.ClogLink("client", "server", ms(50)) })
	w.at(ms(10), func() {
		sendAll(t, c.conn, "up")
		sendAll(t, w.accepted[0].conn, "down")
	})
	w.run(t)
	assert.Equal(t, []clock.Time{tm(ms(55))}, w.accepted[0].at("msg"))
	assert.Equal(t, []clock.Time{tm(ms(11))}, c.at("msg"))
	assert.Equal(t, 1, w.rec.count("net.clog-link", "from=client", "to=server", "for=50ms"))
}

// TestDisconnect_BreaksEveryConnectionOfTheNode: both ends are told;
// the node still listens and new connections work.
func TestDisconnect_BreaksEveryConnectionOfTheNode(t *testing.T) {
	w := newWorld(t, 1, network.Options{DetectDelay: network.Fixed(ms(2))})
	w.listen(t, "server", nil)
	c1 := w.dial("c1", "server")
	c2 := w.dial("c2", "server")
	var again *probe
	w.at(ms(1), func() { w.net.Disconnect("server") })
	w.at(ms(5), func() { again = w.dial("c1", "server") })
	w.run(t)
	assert.Equal(t, []error{env.ErrBroken}, c1.closes())
	assert.Equal(t, []error{env.ErrBroken}, c2.closes())
	assert.Equal(t, []error{env.ErrBroken}, w.accepted[0].closes())
	assert.Equal(t, []error{env.ErrBroken}, w.accepted[1].closes())
	assert.Equal(t, []string{"open"}, again.kinds())
	assert.Equal(t, 2, w.rec.count("net.break", "cause=disconnect"))
	assert.Equal(t, uint64(2), w.net.Stats().Broken)
}

// TestCrash_SilencesTheNodeAndTellsItsPeers: the crashed node's handlers
// get nothing, its peers hear ErrBroken, its pending dials vanish, and it
// no longer accepts connections.
func TestCrash_SilencesTheNodeAndTellsItsPeers(t *testing.T) {
	w := newWorld(t, 1, network.Options{ConnectLatency: network.Fixed(ms(5))})
	w.listen(t, "server", nil)
	w.listen(t, "peer", nil)
	c := w.dial("client", "server")
	var pending, refused *probe
	w.at(ms(6), func() { pending = w.dial("server", "peer") })
	w.at(ms(7), func() { w.net.Crash("server") })
	w.at(ms(8), func() { refused = w.dial("client", "server") })
	w.run(t)
	assert.Equal(t, []error{env.ErrBroken}, c.closes())
	assert.Empty(t, w.accepted[0].events)
	assert.Empty(t, pending.events)
	assert.Len(t, w.accepted, 1, "the pending dial never reached its target")
	assert.Equal(t, []error{env.ErrRefused}, refused.closes())
	assert.Equal(t, 1, w.rec.count("net.crash"))
	assert.Equal(t, 1, w.rec.count("net.break", "cause=crash"))
}

// TestBandwidth_SerializesMessages: each message waits for the ones
// before it to leave, at size/bandwidth each, then travels one latency.
func TestBandwidth_SerializesMessages(t *testing.T) {
	w := newWorld(t, 1, network.Options{Latency: network.Fixed(ms(5)), Bandwidth: 1000})
	w.listen(t, "server", nil)
	c := w.dial("client", "server")
	c.onOpen = func(conn env.Conn) {
		for i := range 3 {
			require.NoError(t, conn.Send(payload("c", i, 100)))
		}
	}
	w.run(t)
	assert.Equal(t, []clock.Time{tm(ms(105)), tm(ms(205)), tm(ms(305))}, w.accepted[0].at("msg"))
}

// TestSetters_ValidateRecordAndApply: the run-time setters refuse bad
// values (keeping the options), record good ones and apply them.
func TestSetters_ValidateRecordAndApply(t *testing.T) {
	w := newWorld(t, 1, network.Options{})
	setters := []struct {
		field string
		set   func(float64) error
		get   func(network.Options) float64
	}{
		{"DropRate", w.net.SetDropRate, func(o network.Options) float64 { return o.DropRate }},
		{"RefuseRate", w.net.SetRefuseRate, func(o network.Options) float64 { return o.RefuseRate }},
		{"DuplicateRate", w.net.SetDuplicateRate, func(o network.Options) float64 { return o.DuplicateRate }},
		{"ReorderRate", w.net.SetReorderRate, func(o network.Options) float64 { return o.ReorderRate }},
	}
	for _, s := range setters {
		require.EqualError(t, s.set(1.5), "network: Options."+s.field+" = 1.5: probability outside [0,1]")
		assert.Equal(t, 0.0, s.get(w.net.Options()))
		require.NoError(t, s.set(0.25))
		assert.Equal(t, 0.25, s.get(w.net.Options()))
		assert.Equal(t, 1, w.rec.count("net.set", "field="+s.field, "value=0.25"))
	}
	require.Error(t, w.net.SetOptions(network.Options{Bandwidth: -1}))
	assert.Equal(t, 0.25, w.net.Options().DropRate)
	require.NoError(t, w.net.SetOptions(network.Options{RefuseRate: 1}))
	assert.Equal(t, 1, w.rec.count("net.options", "refuse=1"))
	w.listen(t, "server", nil)
	c := w.dial("client", "server")
	w.run(t)
	assert.Equal(t, []error{env.ErrRefused}, c.closes())
}

// TestStress_DuplicatesAndReorders: with the stress rates on, some
// messages arrive twice and some out of order, and every message arrives.
func TestStress_DuplicatesAndReorders(t *testing.T) {
	w := newWorld(t, 7, network.Options{Latency: network.Uniform(ms(1), ms(3)), DuplicateRate: 0.1, ReorderRate: 0.1})
	w.listen(t, "server", nil)
	c := w.dial("client", "server")
	const k = 1000
	for i := range k {
		w.at(ms(i), func() { require.NoError(t, c.conn.Send([]byte(strconv.Itoa(i)))) })
	}
	w.run(t)
	seen := map[int]int{}
	inversions := 0
	last := -1
	for _, m := range w.accepted[0].msgs() {
		i, err := strconv.Atoi(m)
		require.NoError(t, err)
		seen[i]++
		if i < last {
			inversions++
		}
		last = max(last, i)
	}
	dups := 0
	for i := range k {
		require.Positive(t, seen[i], "message %d never arrived", i)
		dups += seen[i] - 1
	}
	st := w.net.Stats()
	assert.Greater(t, dups, 50)
	assert.Greater(t, inversions, 50)
	assert.Equal(t, uint64(dups), st.Duplicated)
	assert.Equal(t, int(st.Duplicated), w.rec.count("net.duplicate"))
	assert.Equal(t, int(st.Reordered), w.rec.count("net.reorder"))
}

// TestStress_ReplaysGhostsOnNewerConnection: messages of a broken
// connection come back, in order, on the next connection between the same
// two nodes, delivered to the receiver's new end.
func TestStress_ReplaysGhostsOnNewerConnection(t *testing.T) {
	w := newWorld(t, 1, network.Options{Latency: network.Fixed(ms(10)), DuplicateRate: 1})
	w.listen(t, "server", nil)
	c := w.dial("client", "server")
	c.onOpen = func(conn env.Conn) { sendAll(t, conn, "m1", "m2", "m3") }
	var again *probe
	w.at(ms(5), func() { w.net.Disconnect("client") })
	w.at(ms(20), func() { again = w.dial("client", "server") })
	w.run(t)
	require.Len(t, w.accepted, 2)
	assert.Empty(t, w.accepted[0].msgs())
	assert.Equal(t, []string{"m1", "m2", "m3"}, w.accepted[1].msgs())
	assert.Equal(t, []string{"open"}, again.kinds())
	assert.Equal(t, uint64(3), w.net.Stats().Replayed)
	assert.Equal(t, 1, w.rec.count("net.ghost", "kept=3"))
	assert.Equal(t, 1, w.rec.count("net.replay", "count=3", "to=server"))

	// A ghost is replayed once only.
	w.net.Disconnect("client")
	w.dial("client", "server")
	w.run(t)
	assert.Empty(t, w.accepted[2].msgs())
}
