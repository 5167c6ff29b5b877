package disk

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/sim/rng"
	"github.com/syncsim/syncsim/sim/trace"
)

var _ Recorder = (*trace.Recorder)(nil)

// event is one recorded event.
type event struct {
	t     int64
	node  string
	kind  string
	attrs []slog.Attr
}

func (e event) String() string {
	parts := []string{fmt.Sprint(e.t), e.node, e.kind}
	for _, a := range e.attrs {
		parts = append(parts, a.String())
	}
	return strings.Join(parts, " ")
}

// attr returns the value of the named attribute.
func (e event) attr(key string) slog.Value {
	for _, a := range e.attrs {
		if a.Key == key {
			return a.Value
		}
	}
	panic("no attribute " + key + " in " + e.String())
}

// events is a Recorder keeping every event.
type events struct{ list []event }

func (r *events) Record(t int64, node, kind string, attrs ...slog.Attr) {
	r.list = append(r.list, event{t, node, kind, attrs})
}

func (r *events) ofKind(kind string) []event {
	var out []event
	for _, e := range r.list {
		if e.kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// newDisk returns a disk for node "n1" seeded with seed, its recorder and a
// settable clock.
func newDisk(t require.TestingT, seed uint64, opts Options) (*Disk, *events, *int64) {
	rec := &events{}
	now := new(int64)
	d, err := New(rng.New(seed).Fork("disk"), "n1", func() int64 { return *now }, rec, opts)
	require.NoError(t, err)
	return d, rec, now
}

// open opens name or fails the test.
func open(t require.TestingT, d *Disk, name string) env.File {
	f, err := d.Open(name)
	require.NoError(t, err)
	return f
}

// write writes p at off or fails the test.
func write(t require.TestingT, f env.File, off int64, p string) {
	n, err := f.WriteAt([]byte(p), off)
	require.NoError(t, err)
	require.Equal(t, len(p), n)
}

// content reads the whole file, retrying reads that fail by injection.
func content(t require.TestingT, f env.File) []byte {
	b := make([]byte, f.Size())
	for range 1000 {
		n, err := f.ReadAt(b, 0)
		if errors.Is(err, ErrInjected) {
			continue
		}
		require.NoError(t, err)
		require.Equal(t, len(b), n)
		return b
	}
	require.FailNow(t, "reads kept failing")
	return nil
}

// fileContent opens name and reads all of it.
func fileContent(t require.TestingT, d *Disk, name string) string {
	return string(content(t, open(t, d, name)))
}
