package fuzz

import (
	"bytes"
	"errors"
	"log/slog"
	"testing"

	"github.com/syncsim/syncsim/sim/trace"
)

// FuzzTraceRead: reading any bytes as a trace either fails with an error
// wrapping trace.ErrFormat or yields a trace whose recomputed hash matches
// its footer (when it has one); it never panics.
func FuzzTraceRead(f *testing.F) {
	var good bytes.Buffer
	r, _ := trace.NewRecorder(&good, trace.Header{Seed: 3, Scenario: "sync"})
	r.Record(1, "client/0", "net.dial", slog.String("to", "server"))
	r.Record(2, "server", "net.open", slog.Group("g", slog.Int("a", 1)))
	_ = r.Close()
	f.Add(good.Bytes())
	f.Add([]byte(`{"format":1,"seed":1}` + "\n"))
	f.Add([]byte(`{"format":2}` + "\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := trace.Read(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, trace.ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		if tr.Footer != nil && tr.Footer.Hash != tr.Hash {
			t.Fatalf("accepted a trace whose footer hash %s differs from %s", tr.Footer.Hash, tr.Hash)
		}
	})
}
