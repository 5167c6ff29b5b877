package journal

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzJournalOpen opens a log holding arbitrary bytes. Open must not panic;
// it either reports corruption, leaving the file alone, or returns records
// whose encoding is exactly what remains of the file, which then opens
// again to the same records with nothing cut.
func FuzzJournalOpen(f *testing.F) {
	valid := encode("one", "two", "three")
	oneBatch := appendRecord(appendRecord(nil, 0, 0, []byte("a")), headerSize+1, 0, []byte("b"))
	corrupt := bytes.Clone(valid)
	corrupt[len(encode("one"))+headerSize] ^= 1
	f.Add([]byte{})
	f.Add(valid)
	f.Add(oneBatch)
	f.Add(valid[:len(valid)-2])
	f.Add(corrupt)
	f.Add(append(bytes.Clone(valid), make([]byte, 100)...))
	f.Add(falseHeaders(3))
	f.Add([]byte{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		st := newMem()
		st.put(logName, data)
		j, recs, err := Open(st, logName)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open failed with %v, not a corruption", err)
			}
			if !bytes.Equal(st.content(logName), data) {
				t.Fatal("Open changed a corrupt log")
			}
			return
		}
		kept := st.content(logName)
		if !bytes.Equal(kept, data[:len(kept)]) || int64(len(data)-len(kept)) != j.Truncated() {
			t.Fatalf("Open cut %d bytes but reported %d, or changed the rest", len(data)-len(kept), j.Truncated())
		}
		if j.Size() != int64(len(kept)) {
			t.Fatalf("Size %d, file %d bytes", j.Size(), len(kept))
		}
		var again []byte
		for _, r := range recs {
			again = appendRecord(again, int64(len(again)), int64(len(again)), r)
		}
		if len(again) != len(kept) {
			t.Fatalf("records re-encode to %d bytes, file keeps %d", len(again), len(kept))
		}
		j2, recs2, err := Open(st, logName)
		if err != nil {
			t.Fatalf("reopening: %v", err)
		}
		if j2.Truncated() != 0 || len(recs2) != len(recs) {
			t.Fatalf("reopening cut %d bytes and read %d records instead of %d", j2.Truncated(), len(recs2), len(recs))
		}
	})
}
