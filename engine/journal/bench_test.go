package journal

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// benchAppendSync appends 1 KiB records on the in-memory storage, syncing
// every batch records, and reports records per second. Every 4 MiB the log
// is emptied and reopened, untimed, keeping the file's memory, so that what
// is measured is the journal rather than the fake's allocations.
func benchAppendSync(b *testing.B, batch int) {
	st := newMem()
	j, _, err := Open(st, logName)
	require.NoError(b, err)
	rec := make([]byte, 1024)
	b.SetBytes(int64(batch * len(rec)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for range batch {
			if err := j.Append(rec); err != nil {
				b.Fatal(err)
			}
		}
		if err := j.Sync(); err != nil {
			b.Fatal(err)
		}
		n += batch
		if j.Size() > 4<<20 {
			b.StopTimer()
			require.NoError(b, j.Close())
			st.files[logName].b = st.files[logName].b[:0]
			j, _, err = Open(st, logName)
			require.NoError(b, err)
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkAppendSync1KiB(b *testing.B)        { benchAppendSync(b, 1) }
func BenchmarkAppendSync1KiBBatch16(b *testing.B) { benchAppendSync(b, 16) }
