package clock_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/sim/clock"
)

// TestQueue_FiresInTimeThenSequenceOrder: whatever order events are
// scheduled in, they fire sorted by time, and events at the same time fire
// in the order they were scheduled.
func TestQueue_FiresInTimeThenSequenceOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := clock.New()
		delays := rapid.SliceOfN(rapid.Int64Range(0, 20), 1, 200).Draw(t, "delays")
		type fired struct {
			at  clock.Time
			idx int
		}
		var got []fired
		for i, d := range delays {
			c.AfterFunc(time.Duration(d), func() { got = append(got, fired{c.Now(), i}) })
		}
		for c.Step() {
		}
		require.Len(t, got, len(delays))
		for i, f := range got {
			require.Equal(t, clock.Time(delays[f.idx]), f.at, "event %d fired at the wrong time", f.idx)
			if i > 0 {
				p := got[i-1]
				require.True(t, p.at < f.at || (p.at == f.at && p.idx < f.idx), "event %d fired before %d", p.idx, f.idx)
			}
		}
	})
}

// TestQueue_StopAndResetUnderRandomOperations compares the queue against a
// naive model under random schedule, stop, reset and step operations.
func TestQueue_StopAndResetUnderRandomOperations(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := clock.New()
		type model struct {
			at      clock.Time
			seq     int
			pending bool
		}
		var timers []*clock.Timer
		var models []*model
		seq := 0
		var firedIdx []int
		t.Repeat(map[string]func(*rapid.T){
			"schedule": func(t *rapid.T) {
				d := time.Duration(rapid.Int64Range(0, 50).Draw(t, "d"))
				i := len(timers)
				seq++
				models = append(models, &model{at: c.Now().Add(d), seq: seq, pending: true})
				timers = append(timers, c.AfterFunc(d, func() { firedIdx = append(firedIdx, i) }))
			},
			"stop": func(t *rapid.T) {
				if len(timers) == 0 {
					t.Skip()
				}
				i := rapid.IntRange(0, len(timers)-1).Draw(t, "i")
				require.Equal(t, models[i].pending, timers[i].Stop())
				models[i].pending = false
			},
			"reset": func(t *rapid.T) {
				if len(timers) == 0 {
					t.Skip()
				}
				i := rapid.IntRange(0, len(timers)-1).Draw(t, "i")
				d := time.Duration(rapid.Int64Range(0, 50).Draw(t, "d"))
				require.Equal(t, models[i].pending, timers[i].Reset(d))
				seq++
				models[i].at, models[i].seq, models[i].pending = c.Now().Add(d), seq, true
			},
			"step": func(t *rapid.T) {
				// The model's next event: earliest (at, seq) among pending.
				next := -1
				for i, m := range models {
					if m.pending && (next < 0 || m.at < models[next].at || (m.at == models[next].at && m.seq < models[next].seq)) {
						next = i
					}
				}
				firedIdx = firedIdx[:0]
				ok := c.Step()
				require.Equal(t, next >= 0, ok)
				if next >= 0 {
					require.Equal(t, []int{next}, firedIdx)
					require.Equal(t, models[next].at, c.Now())
					models[next].pending = false
				}
			},
			"": func(t *rapid.T) {
				n := 0
				for i, m := range models {
					require.Equal(t, m.pending, timers[i].Pending())
					if m.pending {
						n++
					}
				}
				require.Equal(t, n, c.Pending())
			},
		})
	})
}

func TestRunUntil_AdvancesToDeadlineAndLeavesLaterEvents(t *testing.T) {
	c := clock.New()
	var ran []int
	c.AfterFunc(5*time.Second, func() { ran = append(ran, 5) })
	c.AfterFunc(time.Second, func() { ran = append(ran, 1) })
	c.AfterFunc(10*time.Second, func() { ran = append(ran, 10) })
	n := c.RunUntil(clock.Time(5 * time.Second))
	assert.Equal(t, uint64(2), n)
	assert.Equal(t, []int{1, 5}, ran)
	assert.Equal(t, clock.Time(5*time.Second), c.Now())
	c.RunFor(time.Hour)
	assert.Equal(t, []int{1, 5, 10}, ran)
	assert.Equal(t, clock.Time(5*time.Second+time.Hour), c.Now(), "idle time is skipped to the deadline")
}

func TestRun_StopsAtBudgetWithAnError(t *testing.T) {
	c := clock.New()
	var tick func()
	tick = func() { c.Post(time.Millisecond, tick) } // never ends on its own
	c.Post(0, tick)
	err := c.Run(clock.Never, 1000)
	require.ErrorIs(t, err, clock.ErrBudget)
	assert.Equal(t, uint64(1000), c.Fired())
	require.NoError(t, c.Run(clock.Time(2*time.Second), 1<<40), "runs to the deadline within budget")
}

func TestPastTimes_FireNowNotBackwards(t *testing.T) {
	c := clock.New()
	c.RunFor(time.Second)
	var at clock.Time
	c.At(0, func() { at = c.Now() })
	c.AfterFunc(-time.Hour, func() {})
	c.Step()
	assert.Equal(t, clock.Time(time.Second), at)
}

func TestEventsScheduledDuringAnEvent_AtTheSameTimeRunAfterIt(t *testing.T) {
	c := clock.New()
	var order []string
	c.Post(0, func() {
		order = append(order, "a")
		c.Post(0, func() { order = append(order, "c") })
	})
	c.Post(0, func() { order = append(order, "b") })
	for c.Step() {
	}
	assert.Equal(t, []string{"a", "b", "c"}, order)
}

func TestLocal_OffsetDriftAndBackwardStep(t *testing.T) {
	c := clock.New()
	l := c.NewLocal(3 * time.Second)
	assert.Equal(t, clock.Time(3*time.Second), l.Now())
	l.SetDrift(1000) // 1 ms per second fast
	c.RunFor(10 * time.Second)
	assert.Equal(t, clock.Time(13*time.Second+10*time.Millisecond), l.Now())
	l.Step(-20 * time.Second)
	assert.Equal(t, clock.Time(-7*time.Second+10*time.Millisecond), l.Now(), "a backward step can go behind world time")
	c.RunFor(time.Second)
	assert.Equal(t, clock.Time(-6*time.Second+11*time.Millisecond), l.Now())
	assert.Equal(t, -17*time.Second+11*time.Millisecond-time.Duration(0), l.Offset()+0)
}

// BenchmarkEventLoop runs the bare event loop with a steady number of
// pending events, each of which schedules the next (the shape of a world:
// every delivery and timer schedules more). A world keeps tens to a few
// hundred events pending.
func BenchmarkEventLoop(b *testing.B) {
	for _, pending := range []int{10, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("pending=%d", pending), func(b *testing.B) {
			c := clock.New()
			var fn func()
			fn = func() { c.Post(time.Duration(c.Fired()%97+1)*time.Microsecond, fn) }
			for i := 0; i < pending; i++ {
				c.Post(time.Duration(i)*time.Microsecond, fn)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.Step()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

func BenchmarkTimerReset(b *testing.B) {
	c := clock.New()
	tm := c.AfterFunc(time.Second, func() {})
	for i := 0; i < 1000; i++ {
		c.AfterFunc(time.Duration(i)*time.Millisecond, func() {})
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		tm.Reset(time.Duration(i%2000) * time.Millisecond)
	}
}
