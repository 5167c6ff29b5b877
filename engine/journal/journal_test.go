package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const logName = "log"

var errFault = errors.New("injected fault")

// openLog opens logName on st or fails the test.
func openLog(t *testing.T, st *memStorage) (*Journal, [][]byte) {
	t.Helper()
	j, recs, err := Open(st, logName)
	require.NoError(t, err)
	return j, recs
}

// appendSync appends recs and syncs, or fails the test.
func appendSync(t *testing.T, j *Journal, recs ...string) {
	t.Helper()
	for _, r := range recs {
		require.NoError(t, j.Append([]byte(r)))
	}
	require.NoError(t, j.Sync())
}

// strs turns records into strings, to compare them readably.
func strs(recs [][]byte) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r)
	}
	return out
}

// encode returns the file content holding recs, each synced in its own batch.
func encode(recs ...string) []byte {
	var b []byte
	for _, r := range recs {
		b = appendRecord(b, int64(len(b)), int64(len(b)), []byte(r))
	}
	return b
}

// failOnce makes the first call of op on name fail.
func failOnce(st *memStorage, op, name string) {
	done := false
	st.fail = func(o, n string) error {
		if o == op && n == name && !done {
			done = true
			return fmt.Errorf("%s %q: %w", o, n, errFault)
		}
		return nil
	}
}

func TestRecordsRoundTripThroughReopen(t *testing.T) {
	st := newMem()
	j, recs := openLog(t, st)
	assert.Empty(t, recs)
	want := []string{"", "a", string(bytes.Repeat([]byte{0xff}, 1024)), "last"}
	appendSync(t, j, want[:2]...)
	appendSync(t, j, want[2:]...)
	require.NoError(t, j.Close())

	j, recs = openLog(t, st)
	assert.Equal(t, want, strs(recs))
	assert.Zero(t, j.Truncated())
	assert.Equal(t, int64(len(st.content(logName))), j.Size())

	appendSync(t, j, "more")
	require.NoError(t, j.Close())
	_, recs = openLog(t, st)
	assert.Equal(t, append(want, "more"), strs(recs), "appending continues after the records read")
}

func TestRecordsAreWrittenOnlyBySync(t *testing.T) {
	st := newMem()
	j, _ := openLog(t, st)
	appendSync(t, j, "synced")
	require.NoError(t, j.Append([]byte("buffered")))
	assert.Equal(t, encode("synced"), st.content(logName))
	assert.Equal(t, int64(len(encode("synced", "buffered"))), j.Size(), "Size counts buffered records")
	require.NoError(t, j.Close())
	_, recs := openLog(t, st)
	assert.Equal(t, []string{"synced"}, strs(recs), "Close drops what was not synced")
}

func TestReturnedRecordsDoNotAlias(t *testing.T) {
	st := newMem()
	st.put(logName, encode("ab", "cd"))
	_, recs := openLog(t, st)
	recs[0] = append(recs[0], 'X')
	assert.Equal(t, "cd", string(recs[1]))
}

func TestTornTailIsCutAndAppendingContinues(t *testing.T) {
	good := encode("one", "two")
	full := encode("one", "two", "three")
	type torn struct {
		name string
		tail []byte
	}
	tails := []torn{{"zeros", make([]byte, 40)}, {"garbage", []byte("not a record at all, honestly")}}
	for n := len(good) + 1; n < len(full); n += 3 {
		tails = append(tails, torn{fmt.Sprintf("record cut at %d", n), full[len(good):n]})
	}
	for _, tc := range tails {
		tail := tc.tail
		t.Run(tc.name, func(t *testing.T) {
			st := newMem()
			st.put(logName, append(bytes.Clone(good), tail...))
			j, recs := openLog(t, st)
			assert.Equal(t, []string{"one", "two"}, strs(recs))
			assert.Equal(t, int64(len(tail)), j.Truncated())
			assert.Equal(t, good, st.content(logName), "the file is cut to the last intact record")
			appendSync(t, j, "four")
			require.NoError(t, j.Close())
			j, recs = openLog(t, st)
			assert.Equal(t, []string{"one", "two", "four"}, strs(recs))
			assert.Zero(t, j.Truncated())
		})
	}
}

func TestDamageBeforeALaterBatchIsCorruption(t *testing.T) {
	content := encode("first", "second", "third") // three batches
	start := len(encode("first"))
	end := len(encode("first", "second"))
	for i := start; i < end; i++ {
		bad := bytes.Clone(content)
		bad[i] ^= 0x10
		st := newMem()
		st.put(logName, bad)
		_, _, err := Open(st, logName)
		require.ErrorIs(t, err, ErrCorrupt, "byte %d flipped", i)
		assert.ErrorContains(t, err, fmt.Sprintf("%q", logName))
		assert.ErrorContains(t, err, fmt.Sprintf("offset %d", start))
		assert.Equal(t, bad, st.content(logName), "a corrupt log is left as it is")
	}
}

func TestDamageInTheLastBatchIsATornTail(t *testing.T) {
	st := newMem()
	j, _ := openLog(t, st)
	appendSync(t, j, "first")
	appendSync(t, j, "second", "third") // one batch: nothing after it vouches for it
	require.NoError(t, j.Close())
	content := st.content(logName)
	at := len(encode("first")) + headerSize // the first payload byte of "second"
	content[at] ^= 0x10
	st.put(logName, content)

	j, recs := openLog(t, st)
	assert.Equal(t, []string{"first"}, strs(recs))
	assert.Equal(t, int64(len(content)-len(encode("first"))), j.Truncated())
}

// falseHeaders returns a log whose record after "a" is damaged and is
// followed by n headers that each claim to be a later batch's record
// running to the end of the file, with a wrong CRC.
func falseHeaders(n int) []byte {
	b := append(encode("a"), make([]byte, headerSize)...)
	damaged := len(encode("a"))
	size := len(b) + n*headerSize
	for range n {
		b = appendRecord(b, int64(len(b)), int64(damaged+1), nil)
		b[len(b)-headerSize] ^= 1 // the CRC
		binary.LittleEndian.PutUint32(b[len(b)-headerSize+4:], uint32(size-len(b)))
	}
	return b
}

func TestFalseHeadersCannotMakeOpenSlow(t *testing.T) {
	st := newMem()
	st.put(logName, falseHeaders(50))
	_, _, err := Open(st, logName)
	require.ErrorIs(t, err, ErrCorrupt)
	assert.ErrorContains(t, err, "too many record-like headers")
}

func TestOpenNeverTrustsBadHeaders(t *testing.T) {
	valid := encode("abc")
	withLen := func(n uint32) []byte {
		b := bytes.Clone(valid)
		b[4], b[5], b[6], b[7] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
		return b
	}
	withByte := func(i int, v byte) []byte {
		b := bytes.Clone(valid)
		b[i] = v
		return b
	}
	tests := map[string][]byte{
		"short header":         valid[:headerSize-1],
		"length past the end":  withLen(4),
		"length past the max":  withLen(MaxRecord + 1),
		"length of 4 GiB":      withLen(0xffffffff),
		"wrong own offset":     withByte(8, 1),
		"base past own offset": withByte(16, 1),
		"bad checksum":         withByte(0, valid[0]^1),
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			st := newMem()
			st.put(logName, content)
			j, recs := openLog(t, st)
			assert.Empty(t, recs)
			assert.Equal(t, int64(len(content)), j.Truncated())
		})
	}
}

func TestOversizedRecordsAreRefused(t *testing.T) {
	st := newMem()
	j, _ := openLog(t, st)
	big := make([]byte, MaxRecord+1)
	require.ErrorIs(t, j.Append(big), ErrTooLarge)
	require.ErrorIs(t, j.Rewrite([][]byte{[]byte("ok"), big}), ErrTooLarge)
	assert.Zero(t, j.Size())
}

func TestFailedSyncKeepsRecordsForTheNextSync(t *testing.T) {
	for _, op := range []string{"write", "sync"} {
		t.Run(op, func(t *testing.T) {
			st := newMem()
			j, _ := openLog(t, st)
			appendSync(t, j, "a")
			require.NoError(t, j.Append([]byte("b")))
			failOnce(st, op, logName)
			require.ErrorIs(t, j.Sync(), errFault)
			require.NoError(t, j.Append([]byte("c")))
			require.NoError(t, j.Sync())
			require.NoError(t, j.Close())
			_, recs := openLog(t, st)
			assert.Equal(t, []string{"a", "b", "c"}, strs(recs))
		})
	}
}

func TestOpenFailsCleanlyOnStorageErrors(t *testing.T) {
	torn := append(encode("a"), 1, 2, 3)
	for _, op := range []string{"remove", "open", "read", "truncate", "sync"} {
		t.Run(op, func(t *testing.T) {
			st := newMem()
			st.put(logName, torn)
			name := logName
			if op == "remove" {
				name = tmpName(logName)
			}
			failOnce(st, op, name)
			_, _, err := Open(st, logName)
			require.ErrorIs(t, err, errFault)
			assert.NotErrorIs(t, err, ErrCorrupt)
			_, recs := openLog(t, st)
			assert.Equal(t, []string{"a"}, strs(recs), "a later Open recovers")
			assert.Equal(t, encode("a"), st.content(logName))
		})
	}
}

func TestRewriteReplacesTheContent(t *testing.T) {
	st := newMem()
	j, _ := openLog(t, st)
	appendSync(t, j, "a", "b", "c")
	require.NoError(t, j.Append([]byte("unsynced")))
	require.NoError(t, j.Rewrite([][]byte{[]byte("snapshot")}))
	assert.Equal(t, int64(len(encode("snapshot"))), j.Size(), "buffered records went with the old content")
	appendSync(t, j, "d")
	require.NoError(t, j.Close())
	names, err := st.List("")
	require.NoError(t, err)
	assert.Equal(t, []string{logName}, names, "no temporary file is left")
	_, recs := openLog(t, st)
	assert.Equal(t, []string{"snapshot", "d"}, strs(recs))
}

func TestRewriteToNothingEmptiesTheLog(t *testing.T) {
	st := newMem()
	j, _ := openLog(t, st)
	appendSync(t, j, "a")
	require.NoError(t, j.Rewrite(nil))
	assert.Zero(t, j.Size())
	require.NoError(t, j.Close())
	_, recs := openLog(t, st)
	assert.Empty(t, recs)
}

func TestFailedRewriteLeavesTheLogUnchanged(t *testing.T) {
	tmp := tmpName(logName)
	for _, f := range []struct{ op, name string }{
		{"remove", tmp}, {"open", tmp}, {"write", tmp}, {"sync", tmp}, {"close", tmp}, {"rename", tmp},
	} {
		t.Run(f.op, func(t *testing.T) {
			st := newMem()
			j, _ := openLog(t, st)
			appendSync(t, j, "a")
			require.NoError(t, j.Append([]byte("b")))
			failOnce(st, f.op, f.name)
			require.ErrorIs(t, j.Rewrite([][]byte{[]byte("new")}), errFault)
			appendSync(t, j, "c")
			require.NoError(t, j.Close())
			_, recs := openLog(t, st)
			assert.Equal(t, []string{"a", "b", "c"}, strs(recs))
		})
	}
}

func TestRewriteThatCannotReopenBreaksTheJournal(t *testing.T) {
	st := newMem()
	j, _ := openLog(t, st)
	appendSync(t, j, "a")
	failOnce(st, "open", logName)
	err := j.Rewrite([][]byte{[]byte("new")})
	require.ErrorIs(t, err, errFault)
	assert.ErrorIs(t, j.Append([]byte("b")), errFault, "a broken journal refuses appends")
	assert.ErrorIs(t, j.Sync(), errFault)
	assert.ErrorIs(t, j.Rewrite(nil), errFault)
	require.NoError(t, j.Close())
	_, recs := openLog(t, st)
	assert.Equal(t, []string{"new"}, strs(recs), "the new content is in place")
}

func TestOpenRemovesAnUnfinishedRewrite(t *testing.T) {
	st := newMem()
	st.put(tmpName(logName), []byte("half a snapshot"))
	openLog(t, st)
	assert.Nil(t, st.content(tmpName(logName)))
}

func TestClosedJournalRefusesCalls(t *testing.T) {
	st := newMem()
	j, _ := openLog(t, st)
	require.NoError(t, j.Close())
	assert.ErrorIs(t, j.Append(nil), ErrClosed)
	assert.ErrorIs(t, j.Sync(), ErrClosed)
	assert.ErrorIs(t, j.Rewrite(nil), ErrClosed)
	assert.ErrorIs(t, j.Close(), ErrClosed)
}

func TestOpenRefusesAnEmptyName(t *testing.T) {
	_, _, err := Open(newMem(), "")
	assert.ErrorContains(t, err, "empty log name")
}
