package network

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/syncsim/syncsim/sim/rng"
)

// MaxDelay is the longest duration any Delay field or ReorderWindow may
// take: one year of virtual time. It keeps arrival times far from int64
// overflow whatever the draws.
const MaxDelay = 365 * 24 * time.Hour

// DefaultReorderWindow is the reorder window used when
// Options.ReorderWindow is zero.
const DefaultReorderWindow = 10 * time.Millisecond

// Delay is a distribution of durations: a uniform draw in [Min, Max] plus,
// when Tail > 0, an exponentially distributed extra with mean Tail (a long
// tail of slow deliveries). The zero Delay is always zero and draws no
// random numbers.
type Delay struct {
	// Min and Max bound the uniform part; Min <= Max.
	Min, Max time.Duration
	// Tail is the mean of the exponential extra; 0 means none.
	Tail time.Duration
}

// Fixed is a Delay of exactly d.
func Fixed(d time.Duration) Delay { return Delay{Min: d, Max: d} }

// Uniform is a Delay drawn uniformly in [lo, hi].
func Uniform(lo, hi time.Duration) Delay { return Delay{Min: lo, Max: hi} }

// draw returns one duration from the distribution.
func (d Delay) draw(r *rng.Stream) time.Duration {
	v := d.Min
	if d.Max > d.Min {
		v = r.Between(d.Min, d.Max)
	}
	if d.Tail > 0 {
		v += r.Exp(d.Tail)
	}
	return v
}

func (d Delay) validate(name string) error {
	for _, f := range [...]struct {
		field string
		v     time.Duration
	}{{"Min", d.Min}, {"Max", d.Max}, {"Tail", d.Tail}} {
		if err := checkDuration(name+"."+f.field, f.v); err != nil {
			return err
		}
	}
	if d.Min > d.Max {
		return fmt.Errorf("network: %s.Min = %v: more than %s.Max = %v", name, d.Min, name, d.Max)
	}
	return nil
}

func (d Delay) attr(key string) slog.Attr {
	return slog.Attr{Key: key, Value: slog.GroupValue(
		slog.Duration("min", d.Min), slog.Duration("max", d.Max), slog.Duration("tail", d.Tail))}
}

func checkDuration(name string, v time.Duration) error {
	if v < 0 {
		return fmt.Errorf("network: %s = %v: negative duration", name, v)
	}
	if v > MaxDelay {
		return fmt.Errorf("network: %s = %v: longer than the limit of %v", name, v, MaxDelay)
	}
	return nil
}

// Options configures a Network. The zero Options is a perfect network:
// no latency, unlimited bandwidth and no faults.
type Options struct {
	// Latency is the one-way delay of every message (and of a close
	// notice), drawn independently per message. Messages never overtake
	// each other whatever the draws: see the package documentation.
	Latency Delay
	// ConnectLatency is the time from Dial to its outcome: the listener's
	// accept and the dialer's OnOpen, or the dialer's OnClose(ErrRefused).
	ConnectLatency Delay
	// DetectDelay is how long after a connection breaks each end learns of
	// it through OnClose(ErrBroken), drawn independently per end.
	DetectDelay Delay
	// Bandwidth is in bytes per second per direction of each connection;
	// 0 means unlimited. A message of n bytes occupies its direction for
	// n/Bandwidth seconds, and messages are sent one after another.
	Bandwidth int64

	// DropRate is the probability, per message about to be delivered, that
	// the connection breaks at that point instead: that message and every
	// other one in flight on the connection, in both directions, are lost.
	DropRate float64
	// RefuseRate is the probability that a dial that would succeed is
	// refused anyway.
	RefuseRate float64

	// DuplicateRate (stress mode, beyond real sockets) is the probability
	// that a sent message is delivered a second time on its connection, and
	// the probability, per recently sent message of a connection that
	// breaks, that it is replayed on the next connection between the same
	// two nodes. See the package documentation.
	DuplicateRate float64
	// ReorderRate (stress mode, beyond real sockets) is the probability
	// that a sent message is held back by an extra delay drawn uniformly in
	// (0, ReorderWindow], so that later messages may overtake it.
	ReorderRate float64
	// ReorderWindow bounds the extra delay of a reordered message; 0 means
	// DefaultReorderWindow.
	ReorderWindow time.Duration

	// TraceMessages records every message sent and delivered in the
	// trace. Off by default: it is the hottest path of every world.
	TraceMessages bool
}

// Validate reports the first field out of range: a negative or too long
// duration, a Min above its Max, a negative bandwidth or a probability
// outside [0,1]. The error names the field and its value.
func (o Options) Validate() error {
	for _, d := range [...]struct {
		name string
		v    Delay
	}{{"Options.Latency", o.Latency}, {"Options.ConnectLatency", o.ConnectLatency}, {"Options.DetectDelay", o.DetectDelay}} {
		if err := d.v.validate(d.name); err != nil {
			return err
		}
	}
	if o.Bandwidth < 0 {
		return fmt.Errorf("network: Options.Bandwidth = %d: negative bandwidth", o.Bandwidth)
	}
	for _, p := range [...]struct {
		name string
		v    float64
	}{{"DropRate", o.DropRate}, {"RefuseRate", o.RefuseRate}, {"DuplicateRate", o.DuplicateRate}, {"ReorderRate", o.ReorderRate}} {
		if !(p.v >= 0 && p.v <= 1) { // also rejects NaN
			return fmt.Errorf("network: Options.%s = %v: probability outside [0,1]", p.name, p.v)
		}
	}
	return checkDuration("Options.ReorderWindow", o.ReorderWindow)
}

// reorderWindow is the effective reorder window.
func (o Options) reorderWindow() time.Duration {
	if o.ReorderWindow == 0 {
		return DefaultReorderWindow
	}
	return o.ReorderWindow
}

// attrs describes the options for the trace, in a fixed order.
func (o Options) attrs() []slog.Attr {
	return []slog.Attr{
		o.Latency.attr("latency"),
		o.ConnectLatency.attr("connect"),
		o.DetectDelay.attr("detect"),
		slog.Int64("bandwidth", o.Bandwidth),
		slog.Float64("drop", o.DropRate),
		slog.Float64("refuse", o.RefuseRate),
		slog.Float64("duplicate", o.DuplicateRate),
		slog.Float64("reorder", o.ReorderRate),
		slog.Duration("window", o.ReorderWindow),
		slog.Bool("messages", o.TraceMessages),
	}
}
