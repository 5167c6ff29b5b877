package network_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/sim/clock"
	"github.com/syncsim/syncsim/sim/network"
)

type tapLog struct {
	clk  *clock.Clock
	sent []string
	got  []string
}

func (l *tapLog) Sent(conn uint64, from, to string, msg []byte) {
	l.sent = append(l.sent, from+">"+to+":"+string(msg))
}

func (l *tapLog) Closed(conn uint64, node string) {}

func (l *tapLog) Delivered(conn uint64, from, to string, msg []byte, sent clock.Time, copied bool) {
	l.got = append(l.got, from+">"+to+":"+string(msg)+"@"+time.Duration(sent).String()+"/"+time.Duration(l.clk.Now()).String())
}

// TestTap_SeesEverySendAndDeliveryWithTheSendTime.
func TestTap_SeesEverySendAndDeliveryWithTheSendTime(t *testing.T) {
	w := newWorld(t, 1, network.Options{Latency: network.Fixed(ms(5)), ConnectLatency: network.Fixed(ms(1))})
	tap := &tapLog{clk: w.clk}
	w.net.SetTap(tap)
	w.listen(t, "b", func(p *probe) {})
	a := w.dial("a", "b")
	w.at(ms(10), func() { sendAll(t, a.conn, "x", "y") })
	w.run(t)
	require.Equal(t, []string{"a>b:x", "a>b:y"}, tap.sent)
	assert.Equal(t, []string{"a>b:x@10ms/15ms", "a>b:y@10ms/15ms"}, tap.got)
}
