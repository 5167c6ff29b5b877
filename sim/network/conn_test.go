package network_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/sim/network"
)

// TestDial_OpensAfterConnectLatencyAndDelivers: accept and OnOpen happen
// one connect latency after Dial; each message takes one latency.
func TestDial_OpensAfterConnectLatencyAndDelivers(t *testing.T) {
	w := newWorld(t, 1, network.Options{ConnectLatency: network.Fixed(ms(5)), Latency: network.Fixed(ms(10))})
	var acceptedAt []int64
	w.listen(t, "server", func(p *probe) {
		acceptedAt = append(acceptedAt, int64(w.clk.Now()))
		p.onMsg = func(c env.Conn, msg []byte) { require.NoError(t, c.Send(append([]byte("echo "), msg...))) }
	})
	c := w.dial("client", "server")
	assert.Equal(t, "client", c.conn.LocalAddr())
	assert.Equal(t, "server", c.conn.RemoteAddr())
	c.onOpen = func(conn env.Conn) { sendAll(t, conn, "a", "b") }
	w.run(t)

	assert.Equal(t, []int64{int64(ms(5))}, acceptedAt)
	require.Len(t, w.accepted, 1)
	s := w.accepted[0]
	assert.Equal(t, "server", s.conn.LocalAddr())
	assert.Equal(t, "client", s.conn.RemoteAddr())
	assert.Equal(t, []string{"a", "b"}, s.msgs())
	assert.Equal(t, []string{"open", "msg", "msg"}, c.kinds())
	assert.Equal(t, []string{"echo a", "echo b"}, c.msgs())
	assert.Equal(t, tm(ms(5)), c.at("open")[0])
	assert.Equal(t, tm(ms(15)), s.at("msg")[0])
	assert.Equal(t, tm(ms(25)), c.at("msg")[1])
	assert.Equal(t, 1, w.rec.count("net.open", "conn=1", "to=server"))
	st := w.net.Stats()
	assert.Equal(t, network.Stats{Dials: 1, Opened: 1, Sent: 4, Delivered: 4, BytesSent: 14, BytesDelivered: 14}, st)
}

// TestDial_RefusedWithoutListener: a dial to a node that is missing, not
// listening, or no longer listening ends in OnClose(ErrRefused) only.
func TestDial_RefusedWithoutListener(t *testing.T) {
	tests := []struct {
		name  string
		setup func(w *world)
	}{
		{"no such node", func(w *world) {}},
		{"node not listening", func(w *world) { w.net.Node("server") }},
		{"listener removed", func(w *world) { w.listen(t, "server", nil); w.net.Unlisten("server") }},
		{"listener crashed", func(w *world) { w.listen(t, "server", nil); w.net.Crash("server") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, 1, network.Options{ConnectLatency: network.Fixed(ms(3))})
			tt.setup(w)
			c := w.dial("client", "server")
			assert.ErrorIs(t, c.conn.Send([]byte("early")), network.ErrNotOpen)
			w.run(t)
			require.Equal(t, []string{"close"}, c.kinds())
			assert.ErrorIs(t, c.events[0].err, env.ErrRefused)
			assert.Equal(t, tm(ms(3)), c.events[0].t)
			assert.ErrorIs(t, c.conn.Send([]byte("late")), env.ErrClosed)
			assert.Empty(t, w.accepted)
			assert.Equal(t, uint64(1), w.net.Stats().Refused)
			assert.Equal(t, 1, w.rec.count("net.refuse", "reason=no-listener"))
		})
	}
}

// TestDial_RefuseRateRefusesByChance: RefuseRate 1 refuses every dial
// that would succeed; a middling rate refuses some and lets some through.
func TestDial_RefuseRateRefusesByChance(t *testing.T) {
	w := newWorld(t, 1, network.Options{RefuseRate: 1})
	w.listen(t, "server", nil)
	c := w.dial("client", "server")
	w.run(t)
	assert.Equal(t, []error{env.ErrRefused}, c.closes())
	assert.Empty(t, w.accepted)
	assert.Equal(t, 1, w.rec.count("net.refuse", "reason=fault"))

	w = newWorld(t, 1, network.Options{RefuseRate: 0.5})
	w.listen(t, "server", nil)
	var probes []*probe
	for range 100 {
		probes = append(probes, w.dial("client", "server"))
	}
	w.run(t)
	refused := 0
	for _, p := range probes {
		if len(p.closes()) > 0 {
			refused++
			assert.Equal(t, []string{"close"}, p.kinds())
		} else {
			assert.Equal(t, []string{"open"}, p.kinds())
		}
	}
	assert.InDelta(t, 50, refused, 20)
	assert.Len(t, w.accepted, 100-refused)
	assert.Equal(t, uint64(refused), w.net.Stats().Refused)
}

// TestDial_CloseBeforeOpenCancels: closing a dial before it resolves
// gives no callback to anyone.
func TestDial_CloseBeforeOpenCancels(t *testing.T) {
	w := newWorld(t, 1, network.Options{ConnectLatency: network.Fixed(ms(3))})
	w.listen(t, "server", nil)
	c := w.dial("client", "server")
	w.at(ms(1), c.conn.Close)
	w.run(t)
	assert.Empty(t, c.events)
	assert.Empty(t, w.accepted)
	assert.ErrorIs(t, c.conn.Send(nil), env.ErrClosed)
	assert.Equal(t, uint64(1), w.net.Stats().Closed)
}

// TestAccept_NilHandlerRefuses: an accept function returning nil turns
// the dial into a refusal.
func TestAccept_NilHandlerRefuses(t *testing.T) {
	w := newWorld(t, 1, network.Options{Latency: network.Fixed(ms(1))})
	var held env.Conn
	require.NoError(t, w.net.Node("server").Listen("server", func(c env.Conn) env.Handler {
		held = c
		require.NoError(t, c.Send([]byte("hello")))
		return nil
	}))
	c := w.dial("client", "server")
	w.run(t)
	assert.Equal(t, []error{env.ErrRefused}, c.closes())
	assert.Equal(t, []string{"close"}, c.kinds())
	assert.ErrorIs(t, held.Send([]byte("more")), env.ErrClosed)
	assert.Equal(t, 1, w.rec.count("net.refuse", "reason=rejected"))
}

// TestListen_RefusesBadCalls: a node listens once, on its own name, with
// an accept function.
func TestListen_RefusesBadCalls(t *testing.T) {
	w := newWorld(t, 1, network.Options{})
	s := w.net.Node("server")
	assert.EqualError(t, s.Listen("other", func(env.Conn) env.Handler { return nil }),
		`network: node "server" cannot listen on "other": a node listens on its own name`)
	assert.EqualError(t, s.Listen("server", nil), `network: node "server": Listen with a nil accept function`)
	w.listen(t, "server", nil)
	assert.EqualError(t, s.Listen("server", func(env.Conn) env.Handler { return nil }),
		`network: node "server" is already listening`)
	w.net.Unlisten("server")
	w.listen(t, "server", nil)
}

// TestClose_PeerGetsSentMessagesThenClosed: a close travels behind the
// messages sent before it; the closer gets no callback; what the peer
// sends before the close arrives is lost; afterwards Send fails.
func TestClose_PeerGetsSentMessagesThenClosed(t *testing.T) {
	w := newWorld(t, 1, network.Options{Latency: network.Fixed(ms(10))})
	var lateErr error
	w.listen(t, "server", func(p *probe) {
		p.onMsg = func(c env.Conn, msg []byte) {
			if string(msg) == "m1" {
				lateErr = c.Send([]byte("late"))
			}
		}
	})
	c := w.dial("client", "server")
	c.onOpen = func(conn env.Conn) {
		sendAll(t, conn, "m1", "m2", "m3")
		conn.Close()
		assert.ErrorIs(t, conn.Send([]byte("m4")), env.ErrClosed)
		conn.Close() // twice is harmless
	}
	w.run(t)
	s := w.accepted[0]
	assert.NoError(t, lateErr)
	assert.Equal(t, []string{"m1", "m2", "m3"}, s.msgs())
	assert.Equal(t, []error{env.ErrClosed}, s.closes())
	assert.Equal(t, []string{"msg", "msg", "msg", "close"}, s.kinds())
	assert.Equal(t, tm(ms(10)), s.at("close")[0])
	assert.Equal(t, []string{"open"}, c.kinds())
	assert.ErrorIs(t, s.conn.Send([]byte("after")), env.ErrClosed)
	s.conn.Close() // after OnClose: nothing happens
	st := w.net.Stats()
	assert.Equal(t, uint64(1), st.Lost)
	assert.Equal(t, uint64(1), st.Closed)
	assert.Equal(t, 1, w.rec.count("net.closed", "conn=1", "peer=client"))
}

// TestClose_BothSidesAtOnce: when both ends close before either close
// arrives, nobody gets a callback.
func TestClose_BothSidesAtOnce(t *testing.T) {
	w := newWorld(t, 1, network.Options{Latency: network.Fixed(ms(10))})
	w.listen(t, "server", func(p *probe) { p.conn.Close() })
	c := w.dial("client", "server")
	c.onOpen = func(conn env.Conn) { conn.Close() }
	w.run(t)
	assert.Equal(t, []string{"open"}, c.kinds())
	assert.Empty(t, w.accepted[0].events)
	assert.Equal(t, 0, w.clk.Pending())
}

// TestDial_NilHandlerDiscards: a dial without a handler works and its
// events go nowhere.
func TestDial_NilHandlerDiscards(t *testing.T) {
	w := newWorld(t, 1, network.Options{})
	w.listen(t, "server", nil)
	conn := w.net.Node("client").Dial("server", nil)
	w.run(t)
	require.NoError(t, conn.Send([]byte("x")))
	w.run(t)
	w.accepted[0].conn.Close()
	w.run(t)
	assert.Equal(t, []string{"x"}, w.accepted[0].msgs())
	assert.ErrorIs(t, conn.Send([]byte("y")), env.ErrClosed)
}

// TestLoopback_NodeDialsItself: a node can connect to itself.
func TestLoopback_NodeDialsItself(t *testing.T) {
	w := newWorld(t, 1, network.Options{Latency: network.Fixed(ms(1))})
	w.listen(t, "server", nil)
	c := w.dial("server", "server")
	c.onOpen = func(conn env.Conn) { sendAll(t, conn, "self") }
	w.run(t)
	assert.Equal(t, []string{"self"}, w.accepted[0].msgs())
}

// TestTraceMessages_RecordsEachSendAndDelivery only when switched on.
func TestTraceMessages_RecordsEachSendAndDelivery(t *testing.T) {
	for _, on := range []bool{false, true} {
		w := newWorld(t, 1, network.Options{Latency: network.Fixed(ms(2)), TraceMessages: on})
		w.listen(t, "server", nil)
		c := w.dial("client", "server")
		c.onOpen = func(conn env.Conn) { sendAll(t, conn, "ab", "cde") }
		w.run(t)
		want := 0
		if on {
			want = 2
		}
		assert.Equal(t, want, w.rec.count("net.send", "conn=1"), "on=%v", on)
		assert.Equal(t, want, w.rec.count("net.deliver", "conn=1"), "on=%v", on)
		if on {
			assert.Equal(t, 1, w.rec.count("net.deliver", "msg=2", "size=3"))
			assert.Equal(t, 1, w.rec.count("net.send", "msg=1", "size=2", "at=2000000"))
		}
	}
}
