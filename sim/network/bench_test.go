package network_test

import (
	"testing"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/sim/clock"
	"github.com/syncsim/syncsim/sim/network"
	"github.com/syncsim/syncsim/sim/rng"
)

// counter is a Handler that counts deliveries.
type counter struct{ n int }

func (c *counter) OnOpen(env.Conn)            {}
func (c *counter) OnMessage(env.Conn, []byte) { c.n++ }
func (c *counter) OnClose(env.Conn, error)    {}

// BenchmarkDelivery_OneConnection measures messages delivered per second
// through one connection on the bare clock: batches of sends, each batch
// run to completion.
func BenchmarkDelivery_OneConnection(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts network.Options
	}{
		{"fixed-latency", network.Options{Latency: network.Fixed(ms(1))}},
		{"jitter-tail-bandwidth", network.Options{Latency: network.Delay{Min: ms(1), Max: ms(5), Tail: ms(1)}, Bandwidth: 10_000_000}},
		{"drop-rate-checked", network.Options{Latency: network.Fixed(ms(1)), DropRate: 1e-12}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			clk := clock.New()
			n, err := network.New(clk, rng.New(1), nil, bc.opts)
			if err != nil {
				b.Fatal(err)
			}
			sink := &counter{}
			if err := n.Node("server").Listen("server", func(env.Conn) env.Handler { return sink }); err != nil {
				b.Fatal(err)
			}
			conn := n.Node("client").Dial("server", &counter{})
			for clk.Step() {
			}
			msg := make([]byte, 64)
			const batch = 256
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += batch {
				for j := 0; j < batch && i+j < b.N; j++ {
					if err := conn.Send(msg); err != nil {
						b.Fatal(err)
					}
				}
				for clk.Step() {
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			if sink.n != b.N {
				b.Fatalf("delivered %d of %d messages", sink.n, b.N)
			}
		})
	}
}
