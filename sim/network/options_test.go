package network_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/sim/clock"
	"github.com/syncsim/syncsim/sim/network"
	"github.com/syncsim/syncsim/sim/rng"
)

// TestValidate_NamesTheFieldOutOfRange: every field out of range is
// refused with an error naming it and its value; valid options pass.
func TestValidate_NamesTheFieldOutOfRange(t *testing.T) {
	tests := []struct {
		name string
		opts network.Options
		want string // "" = valid
	}{
		{"zero options are valid", network.Options{}, ""},
		{"a full valid configuration", network.Options{
			Latency: network.Delay{Min: ms(1), Max: ms(5), Tail: ms(2)}, ConnectLatency: network.Fixed(ms(3)),
			DetectDelay: network.Uniform(ms(1), ms(2)), Bandwidth: 1 << 20, DropRate: 1, RefuseRate: 0.5,
			DuplicateRate: 0.1, ReorderRate: 0.2, ReorderWindow: ms(4), TraceMessages: true}, ""},
		{"negative latency min", network.Options{Latency: network.Delay{Min: -ms(1), Max: ms(1)}},
			"network: Options.Latency.Min = -1ms: negative duration"},
		{"negative latency max", network.Options{Latency: network.Delay{Max: -1}},
			"network: Options.Latency.Max = -1ns: negative duration"},
		{"negative latency tail", network.Options{Latency: network.Delay{Tail: -ms(2)}},
			"network: Options.Latency.Tail = -2ms: negative duration"},
		{"latency min above max", network.Options{Latency: network.Delay{Min: ms(5), Max: ms(1)}},
			"network: Options.Latency.Min = 5ms: more than Options.Latency.Max = 1ms"},
		{"latency beyond the limit", network.Options{Latency: network.Fixed(network.MaxDelay + 1)},
			"network: Options.Latency.Min = 8760h0m0.000000001s: longer than the limit of 8760h0m0s"},
		{"negative connect latency", network.Options{ConnectLatency: network.Delay{Min: -1}},
			"network: Options.ConnectLatency.Min = -1ns: negative duration"},
		{"connect latency min above max", network.Options{ConnectLatency: network.Delay{Min: 2}},
			"network: Options.ConnectLatency.Min = 2ns: more than Options.ConnectLatency.Max = 0s"},
		{"negative detect delay", network.Options{DetectDelay: network.Delay{Tail: -1}},
			"network: Options.DetectDelay.Tail = -1ns: negative duration"},
		{"negative bandwidth", network.Options{Bandwidth: -5},
			"network: Options.Bandwidth = -5: negative bandwidth"},
		{"drop rate above one", network.Options{DropRate: 1.5},
			"network: Options.DropRate = 1.5: probability outside [0,1]"},
		{"refuse rate negative", network.Options{RefuseRate: -0.1},
			"network: Options.RefuseRate = -0.1: probability outside [0,1]"},
		{"duplicate rate NaN", network.Options{DuplicateRate: math.NaN()},
			"network: Options.DuplicateRate = NaN: probability outside [0,1]"},
		{"reorder rate above one", network.Options{ReorderRate: 2},
			"network: Options.ReorderRate = 2: probability outside [0,1]"},
		{"negative reorder window", network.Options{ReorderWindow: -time.Second},
			"network: Options.ReorderWindow = -1s: negative duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tt.want)
		})
	}
}

// TestNew_RefusesBadArguments: New checks its clock, stream and options.
func TestNew_RefusesBadArguments(t *testing.T) {
	_, err := network.New(nil, rng.New(1), nil, network.Options{})
	assert.ErrorContains(t, err, "needs a clock")
	_, err = network.New(clock.New(), nil, nil, network.Options{})
	assert.ErrorContains(t, err, "needs a clock and a random stream")
	_, err = network.New(clock.New(), rng.New(1), nil, network.Options{DropRate: 3})
	assert.EqualError(t, err, "network: Options.DropRate = 3: probability outside [0,1]")
	n, err := network.New(clock.New(), rng.New(1), nil, network.Options{DropRate: 0.5})
	require.NoError(t, err)
	assert.Equal(t, 0.5, n.Options().DropRate)
}

// TestDelay_DrawsWithinItsBounds: a uniform delay stays in [Min, Max] and a
// tail only adds to it; a fixed delay is exact.
func TestDelay_DrawsWithinItsBounds(t *testing.T) {
	for _, d := range []network.Delay{network.Fixed(ms(7)), network.Uniform(ms(2), ms(9)), {Min: ms(1), Max: ms(3), Tail: ms(5)}} {
		w := newWorld(t, 3, network.Options{Latency: d})
		w.listen(t, "s", nil)
		c := w.dial("c", "s")
		const k = 200
		c.onOpen = func(conn env.Conn) {
			for i := range k {
				require.NoError(t, conn.Send(payload("c", i, 0)))
			}
		}
		w.run(t)
		got := w.accepted[0].at("msg")
		require.Len(t, got, k)
		var last clock.Time
		for _, at := range got {
			require.GreaterOrEqual(t, at, tm(d.Min), "delay %+v", d)
			require.GreaterOrEqual(t, at, last, "deliveries went back in time")
			last = at
			if d.Tail == 0 {
				require.LessOrEqual(t, at, tm(d.Max), "delay %+v", d)
			}
		}
		if d.Min == d.Max && d.Tail == 0 {
			assert.Equal(t, tm(d.Min), got[0])
			assert.Equal(t, tm(d.Min), got[k-1])
		} else {
			assert.NotEqual(t, got[0], got[k-1], "a random delay should vary")
		}
	}
}
