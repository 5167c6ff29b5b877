package disk

import (
	"bytes"
	"io/fs"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/env"
)

// The reference model below is written apart from the implementation: a
// file is its durable bytes plus its unsynced operations; crashes follow
// the package comment, with the cut and the kept length read from the
// "disk.torn" record and checked to be in range.

type refOp struct {
	write bool
	off   int64
	data  []byte
	size  int64
}

func (o refOp) applyTo(b []byte) []byte {
	if !o.write {
		out := make([]byte, o.size)
		copy(out, b)
		return out
	}
	end := o.off + int64(len(o.data))
	if end > int64(len(b)) {
		grown := make([]byte, end)
		copy(grown, b)
		b = grown
	} else {
		b = slices.Clone(b)
	}
	copy(b[o.off:], o.data)
	return b
}

type refFile struct {
	durable []byte
	pending []refOp
}

func (f *refFile) current() []byte {
	b := f.durable
	for _, o := range f.pending {
		b = o.applyTo(b)
	}
	return b
}

// unsyncedCost is what the file's unsynced operations count against
// MaxFileSize, as Options documents it.
func (f *refFile) unsyncedCost() int64 {
	var c int64
	for _, o := range f.pending {
		c += int64(len(o.data)) + 64
	}
	return c
}

type diskModel struct {
	d       *Disk
	rec     *events
	opts    Options
	max     int64
	files   map[string]*refFile
	handles map[string]env.File
	stale   []env.File // handles opened before a crash
}

var names = []string{"a", "b", "c"}

func (m *diskModel) handle(t *rapid.T, name string) env.File {
	if h, ok := m.handles[name]; ok {
		return h
	}
	h := open(t, m.d, name)
	m.handles[name] = h
	if m.files[name] == nil {
		m.files[name] = &refFile{}
	}
	return h
}

// outcome checks err against the expected refusal (nil if none) and an
// injection at rate; it reports whether the call took effect.
func outcome(t *rapid.T, err, refusal error, rate float64) bool {
	switch {
	case refusal != nil:
		require.ErrorIs(t, err, refusal)
		return false
	case err == nil:
		require.Less(t, rate, 1.0, "a call at fault rate 1 succeeded")
		return true
	default:
		require.ErrorIs(t, err, ErrInjected)
		require.Greater(t, rate, 0.0, "a call at fault rate 0 failed")
		return false
	}
}

func (m *diskModel) write(t *rapid.T) {
	name := rapid.SampledFrom(names).Draw(t, "name")
	off := rapid.Int64Range(0, 60).Draw(t, "off")
	data := rapid.SliceOfN(rapid.Byte(), 1, 40).Draw(t, "data")
	h := m.handle(t, name)
	f := m.files[name]
	var refusal error
	if off+int64(len(data)) > m.max || f.unsyncedCost()+int64(len(data))+64 > m.max {
		refusal = ErrTooLarge
	}
	n, err := h.WriteAt(data, off)
	if outcome(t, err, refusal, m.opts.WriteErrorRate) {
		require.Equal(t, len(data), n)
		f.pending = append(f.pending, refOp{write: true, off: off, data: data})
	}
}

func (m *diskModel) truncate(t *rapid.T) {
	name := rapid.SampledFrom(names).Draw(t, "name")
	size := rapid.Int64Range(0, 80).Draw(t, "size")
	h := m.handle(t, name)
	f := m.files[name]
	changes := size != int64(len(f.current()))
	var refusal error
	if size > m.max || changes && f.unsyncedCost()+64 > m.max {
		refusal = ErrTooLarge
	}
	if outcome(t, h.Truncate(size), refusal, m.opts.WriteErrorRate) && changes {
		f.pending = append(f.pending, refOp{size: size})
	}
}

func (m *diskModel) sync(t *rapid.T) {
	name := rapid.SampledFrom(names).Draw(t, "name")
	h := m.handle(t, name)
	if f := m.files[name]; outcome(t, h.Sync(), nil, m.opts.SyncErrorRate) {
		f.durable = f.current()
		f.pending = nil
	}
}

func (m *diskModel) rename(t *rapid.T) {
	from := rapid.SampledFrom(names).Draw(t, "from")
	to := rapid.SampledFrom(names).Draw(t, "to")
	err := m.d.Rename(from, to)
	if m.files[from] == nil {
		require.ErrorIs(t, err, fs.ErrNotExist)
		return
	}
	require.NoError(t, err)
	if from == to {
		return
	}
	m.files[to] = m.files[from]
	delete(m.files, from)
	delete(m.handles, to)
	if h, ok := m.handles[from]; ok {
		m.handles[to] = h
		delete(m.handles, from)
	}
}

func (m *diskModel) remove(t *rapid.T) {
	name := rapid.SampledFrom(names).Draw(t, "name")
	require.NoError(t, m.d.Remove(name))
	delete(m.files, name)
	delete(m.handles, name)
}

func (m *diskModel) crash(t *rapid.T) {
	start := len(m.rec.list)
	m.d.Crash()
	recs := m.rec.list[start:]
	require.NotEmpty(t, recs)
	require.Equal(t, "disk.crash", recs[0].kind)
	torn := map[string]event{}
	for _, e := range recs[1:] {
		require.Equal(t, "disk.torn", e.kind)
		name := e.attr("file").String()
		_, dup := torn[name]
		require.False(t, dup, "file %q torn twice", name)
		torn[name] = e
	}
	unsynced := 0
	for name, f := range m.files {
		e, isTorn := torn[name]
		delete(torn, name)
		if len(f.pending) == 0 {
			require.False(t, isTorn, "file %q torn without unsynced operations", name)
			continue
		}
		unsynced++
		switch m.opts.TornWriteRate {
		case 0:
			require.False(t, isTorn, "file %q torn at rate 0", name)
		case 1:
			require.True(t, isTorn, "file %q not torn at rate 1", name)
		}
		if isTorn {
			cut := int(e.attr("cut").Int64())
			kept := int(e.attr("kept").Int64())
			require.Equal(t, int64(len(f.pending)), e.attr("ops").Int64())
			require.True(t, cut >= 0 && cut < len(f.pending), "cut %d of %d", cut, len(f.pending))
			for _, o := range f.pending[:cut] {
				f.durable = o.applyTo(f.durable)
			}
			at := f.pending[cut]
			if at.write {
				require.Equal(t, "write", e.attr("op").String())
				require.True(t, kept >= 0 && kept < len(at.data), "kept %d of %d", kept, len(at.data))
				if kept > 0 {
					at.data = at.data[:kept]
					f.durable = at.applyTo(f.durable)
				}
			} else {
				require.Equal(t, "truncate", e.attr("op").String())
				require.Zero(t, kept)
			}
		}
		f.pending = nil
	}
	require.Empty(t, torn, "torn records for files that are not there")
	require.Equal(t, int64(len(m.files)), recs[0].attr("files").Int64())
	require.Equal(t, int64(unsynced), recs[0].attr("unsynced").Int64())
	require.Equal(t, int64(len(recs)-1), recs[0].attr("torn").Int64())
	for _, h := range m.handles {
		m.stale = append(m.stale, h)
	}
	clear(m.handles)
}

func (m *diskModel) useStale(t *rapid.T) {
	if len(m.stale) == 0 {
		t.Skip("no handle from before a crash")
	}
	h := rapid.SampledFrom(m.stale).Draw(t, "handle")
	_, err := h.WriteAt([]byte("x"), 0)
	require.ErrorIs(t, err, ErrCrashed)
	require.ErrorIs(t, h.Sync(), ErrCrashed)
}

// check compares every file, the namespace and the stats with the model.
func (m *diskModel) check(t *rapid.T) {
	listed, err := m.d.List("")
	require.NoError(t, err)
	var want []string
	var st Stats
	for name, f := range m.files {
		want = append(want, name)
		cur := f.current()
		got := content(t, m.handle(t, name))
		require.True(t, bytes.Equal(cur, got), "file %q: got %q, model %q", name, got, cur)
		st.Bytes += int64(len(cur))
		st.DurableBytes += int64(len(f.durable))
		for _, o := range f.pending {
			st.UnsyncedBytes += int64(len(o.data))
		}
	}
	slices.Sort(want)
	require.Equal(t, want, listed)
	got := m.d.Stats()
	require.Equal(t, len(want), got.Files)
	require.Equal(t, st.Bytes, got.Bytes)
	require.Equal(t, st.DurableBytes, got.DurableBytes)
	require.Equal(t, st.UnsyncedBytes, got.UnsyncedBytes)
}

func TestDiskMatchesReferenceModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rate := rapid.SampledFrom([]float64{0, 0.3, 1})
		opts := Options{
			WriteErrorRate: rapid.SampledFrom([]float64{0, 0.2, 1}).Draw(t, "writeErrorRate"),
			SyncErrorRate:  rate.Draw(t, "syncErrorRate"),
			ReadErrorRate:  rapid.SampledFrom([]float64{0, 0.3}).Draw(t, "readErrorRate"),
			TornWriteRate:  rapid.SampledFrom([]float64{0, 0.5, 1}).Draw(t, "tornWriteRate"),
			MaxFileSize:    rapid.SampledFrom([]int64{0, 90, 200}).Draw(t, "maxFileSize"),
		}
		d, rec, _ := newDisk(t, rapid.Uint64().Draw(t, "seed"), opts)
		m := &diskModel{
			d: d, rec: rec, opts: opts, max: opts.maxFileSize(),
			files: map[string]*refFile{}, handles: map[string]env.File{},
		}
		t.Repeat(map[string]func(*rapid.T){
			"write":    m.write,
			"truncate": m.truncate,
			"sync":     m.sync,
			"rename":   m.rename,
			"remove":   m.remove,
			"crash":    m.crash,
			"useStale": m.useStale,
			"":         m.check,
		})
	})
}
