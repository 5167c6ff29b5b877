package trace_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/sim/trace"
)

func record(r *trace.Recorder) {
	r.Record(0, "", "world.start", slog.Uint64("seed", 7))
	r.Record(1500, "client/0", "net.dial", slog.String("to", "server"), slog.Duration("latency", time.Millisecond))
	r.Record(2000, "server", "odd \"name\"\n\x01", slog.Bool("ok", true), slog.Float64("p", 0.25),
		slog.Group("cursor", slog.Int64("server", 3), slog.Int64("client", -1)), slog.String("bad", "a\xffb"))
}

func TestHash_SameWithOrWithoutWriter(t *testing.T) {
	var buf bytes.Buffer
	w, err := trace.NewRecorder(&buf, trace.Header{Seed: 7, Scenario: "toy"})
	require.NoError(t, err)
	record(w)
	require.NoError(t, w.Close())

	h, err := trace.NewRecorder(nil, trace.Header{})
	require.NoError(t, err)
	record(h)
	assert.Equal(t, w.Hash(), h.Hash())
	assert.Equal(t, uint64(3), h.Events())
}

func TestEveryLineIsJSON_AndReadsBack(t *testing.T) {
	var buf bytes.Buffer
	w, _ := trace.NewRecorder(&buf, trace.Header{Seed: 7, Scenario: "toy", Flags: []string{"--clients=3"}})
	record(w)
	require.NoError(t, w.Close())
	for i, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		require.True(t, json.Valid([]byte(line)), "line %d is not JSON: %s", i+1, line)
	}
	f, err := trace.Read(&buf)
	require.NoError(t, err)
	assert.Equal(t, uint64(7), f.Header.Seed)
	assert.Equal(t, trace.FormatVersion, f.Header.Format)
	require.Len(t, f.Events, 3)
	assert.Equal(t, "client/0", f.Events[1].Node)
	assert.Equal(t, int64(1500), f.Events[1].T)
	assert.JSONEq(t, `"server"`, string(f.Events[1].Attrs["to"]))
	assert.JSONEq(t, `{"server":3,"client":-1}`, string(f.Events[2].Attrs["cursor"]))
	assert.JSONEq(t, `"a\ufffdb"`, string(f.Events[2].Attrs["bad"]))
	require.NotNil(t, f.Footer)
	assert.Equal(t, w.Hash(), f.Hash)
}

// TestHash_ChangesWithAnyEventField: the hash witnesses every field.
func TestHash_ChangesWithAnyEventField(t *testing.T) {
	base := func(r *trace.Recorder) { r.Record(1, "n", "k", slog.Int("a", 1)) }
	variants := map[string]func(r *trace.Recorder){
		"time":  func(r *trace.Recorder) { r.Record(2, "n", "k", slog.Int("a", 1)) },
		"node":  func(r *trace.Recorder) { r.Record(1, "m", "k", slog.Int("a", 1)) },
		"kind":  func(r *trace.Recorder) { r.Record(1, "n", "j", slog.Int("a", 1)) },
		"key":   func(r *trace.Recorder) { r.Record(1, "n", "k", slog.Int("b", 1)) },
		"value": func(r *trace.Recorder) { r.Record(1, "n", "k", slog.Int("a", 2)) },
		"extra": func(r *trace.Recorder) { base(r); base(r) },
	}
	b, _ := trace.NewRecorder(nil, trace.Header{})
	base(b)
	for name, v := range variants {
		r, _ := trace.NewRecorder(nil, trace.Header{})
		v(r)
		assert.NotEqual(t, b.Hash(), r.Hash(), name)
	}
}

func TestRead_RefusesBadInputWithAClearError(t *testing.T) {
	var good bytes.Buffer
	w, _ := trace.NewRecorder(&good, trace.Header{Seed: 1})
	record(w)
	require.NoError(t, w.Close())
	lines := strings.SplitAfter(good.String(), "\n")

	cases := []struct {
		name, input, want string
	}{
		{"empty file", "", "empty file"},
		{"other format version", `{"format":99,"seed":1}` + "\n", "format version 99"},
		{"header is not JSON", "hello\n", "line 1: bad header"},
		{"unknown header field", `{"format":1,"sneed":1}` + "\n", "bad header"},
		{"corrupt event", lines[0] + "{\"t\":oops}\n", "line 2: bad event"},
		{"edited event", lines[0] + strings.Replace(lines[1], "seed", "seef", 1) + strings.Join(lines[2:], ""), "does not match"},
		{"dropped event", lines[0] + strings.Join(lines[2:], ""), "footer counts 3 events, file has 2"},
		{"after footer", good.String() + lines[1], "after the footer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := trace.Read(strings.NewReader(c.input))
			require.ErrorIs(t, err, trace.ErrFormat)
			assert.Contains(t, err.Error(), c.want)
		})
	}

	// A trace cut short (no footer) still reads: it is what a crash leaves.
	f, err := trace.Read(strings.NewReader(strings.Join(lines[:3], "")))
	require.NoError(t, err)
	assert.Nil(t, f.Footer)
	assert.Len(t, f.Events, 2)
}

// TestStrings_AlwaysEncodeToValidJSON over arbitrary bytes.
func TestStrings_AlwaysEncodeToValidJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := string(rapid.SliceOf(rapid.Byte()).Draw(t, "s"))
		var buf bytes.Buffer
		r, _ := trace.NewRecorder(&buf, trace.Header{})
		r.Record(0, s, s, slog.String(s, s))
		require.NoError(t, r.Close())
		_, err := trace.Read(&buf)
		require.NoError(t, err)
	})
}

func TestMirror_SendsEventsToSlog(t *testing.T) {
	var buf bytes.Buffer
	r, _ := trace.NewRecorder(nil, trace.Header{})
	r.Mirror(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r.Record(42, "server", "net.break", slog.String("peer", "client/1"))
	assert.Contains(t, buf.String(), "msg=net.break t=42 node=server peer=client/1")
}

func BenchmarkRecord(b *testing.B) {
	r, _ := trace.NewRecorder(nil, trace.Header{})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r.Record(int64(i), "client/3", "net.deliver", slog.String("from", "server"), slog.Int("bytes", 120))
	}
}
