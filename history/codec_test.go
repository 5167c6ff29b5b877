package history_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/history"
	"github.com/syncsim/syncsim/history/historytest"
)

func encode(t *testing.T, h *history.History, meta history.Meta) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, history.Encode(&buf, h, meta))
	return buf.Bytes()
}

// TestExample_FillsEveryRecordKind: the round trips below are only as good
// as the example: every list of records in it is non-empty.
func TestExample_FillsEveryRecordKind(t *testing.T) {
	h := historytest.Example()
	require.NoError(t, h.Validate())
	v := reflect.ValueOf(h).Elem()
	for i := range v.NumField() {
		assert.False(t, v.Field(i).IsZero(), "History.%s is empty in the example", v.Type().Field(i).Name)
	}
}

// TestCodec_RoundTrip_GivesBackTheSameHistory: what Encode writes, Decode
// (and WriteFile, ReadFile) read back equal, meta included.
func TestCodec_RoundTrip_GivesBackTheSameHistory(t *testing.T) {
	cases := []struct {
		name string
		h    *history.History
		meta history.Meta
	}{
		{"every record kind", historytest.Example(), historytest.ExampleMeta()},
		{"an empty history", &history.History{}, history.Meta{}},
		{"a history without convergence", func() *history.History {
			h := historytest.Example()
			h.Convergence = nil
			return h
		}(), history.Meta{Seed: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := encode(t, c.h, c.meta)
			h, meta, err := history.Decode(bytes.NewReader(b))
			require.NoError(t, err)
			assert.Equal(t, c.h, h)
			assert.Equal(t, c.meta, meta)
			assert.Equal(t, b, encode(t, h, meta), "encoding is deterministic")

			path := filepath.Join(t.TempDir(), "x.history.json")
			require.NoError(t, history.WriteFile(path, c.h, c.meta))
			h, meta, err = history.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, c.h, h)
			assert.Equal(t, c.meta, meta)
		})
	}
}

// TestEncode_NamesTheFormatAndVersionFirst: the file opens with what a
// reader checks first.
func TestEncode_NamesTheFormatAndVersionFirst(t *testing.T) {
	b := encode(t, &history.History{}, history.Meta{})
	assert.True(t, strings.HasPrefix(string(b), "{\n  \"format\": \"syncsim-history\",\n  \"version\": 1,\n"), "%s", b)
	assert.Error(t, history.Encode(&bytes.Buffer{}, nil, history.Meta{}))
}

// TestDecode_RefusesBadInputSayingWhatIsWrong: every refusal is an error
// (never a panic) starting "history: " and naming the problem.
func TestDecode_RefusesBadInputSayingWhatIsWrong(t *testing.T) {
	good := string(encode(t, historytest.Example(), historytest.ExampleMeta()))
	head := `{"format": "syncsim-history", "version": 1, `
	cases := []struct {
		name  string
		input string
		says  string
	}{
		{"empty input", "", "history: the input is empty"},
		{"blank input", " \n\t", "history: the input is empty"},
		{"not JSON", "hello", "history: line 1 column 1: invalid character 'h' looking for beginning of value"},
		{"truncated", good[:len(good)/2], "unexpected end of input"},
		{"truncated in a field name", "{\n  \"format\": \"syncsim-history\",\n  \"vers", "history: line 3 column 7: unexpected end of input"},
		{"trailing data", good + "{}", "after top-level value"},
		{"a second object", good + good, "after top-level value"},
		{"a JSON array", "[1, 2]", "history: line 1 column 1: the file is a JSON array, not an object"},
		{"JSON null", "null", `history: not a history file: no "format" field`},
		{"no format", `{"version": 1, "history": {}}`, `history: not a history file: no "format" field (want "syncsim-history")`},
		{"another format", `{"format": "syncsim-trace", "version": 1}`, `history: format "syncsim-trace": not a history file (want "syncsim-history")`},
		{"no version", `{"format": "syncsim-history", "history": {}}`, `history: no "version" field`},
		{"another version", strings.Replace(good, `"version": 1`, `"version": 2`, 1), "history: file version 2: this build reads version 1"},
		{"another version with fields this one lacks", `{"format": "syncsim-history", "version": 0, "newThing": 1}`, "history: file version 0: this build reads version 1"},
		{"a version that is not a number", `{"format": "syncsim-history", "version": "1"}`, "history: line 1 column 44: cannot unmarshal string"},
		{"an unknown top-level field", head + `"extra": true, "history": {}}`, `history: unknown field "extra"`},
		{"an unknown field in a record", head + `"history": {"uploads": [{"client": "c", "colour": 1}]}}`, `history: unknown field "colour"`},
		{"a field of the wrong type", head + "\"history\": {\n\"writes\": [{\"call\": \"soon\"}]}}", "history: line 2 column 26: cannot unmarshal string into Go struct field Write.history.writes.call of type int64"},
		{"no history", head + `"meta": {}}`, `history: no "history" field (or null)`},
		{"a null history", head + `"history": null}`, `history: no "history" field (or null)`},
		{"a malformed history", head + `"history": {"restores": [{"realm": "/r", "backup": 3, "at": 5}]}}`,
			`history: malformed history: restore 0: no backup 3 of realm "/r" before it`},
		{"a history with an interval backwards", head + `"history": {"reads": [{"client": "c", "realm": "/r", "object": "A[1]", "call": 5, "return": 4}]}}`,
			"history: malformed history: read 0: call 5 and return 4 are not an interval"},
		{"nesting too deep", head + `"meta": ` + strings.Repeat("[", 20000), "exceeded max depth"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, _, err := history.Decode(strings.NewReader(c.input))
			require.Error(t, err)
			assert.Nil(t, h)
			assert.Contains(t, err.Error(), c.says)
			assert.True(t, strings.HasPrefix(err.Error(), "history: "), err.Error())
		})
	}
}

// TestReadFile_NamesTheFile: a refusal says which file; a missing file is
// an error too.
func TestReadFile_NamesTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "old.history.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"format": "syncsim-history", "version": 9}`), 0o644))
	_, _, err := history.ReadFile(path)
	require.EqualError(t, err, "history: "+path+": file version 9: this build reads version 1")

	_, _, err = history.ReadFile(filepath.Join(dir, "none.history.json"))
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "none.history.json")
}

// TestWriteFile_IsAtomic: WriteFile replaces a file whole, with mode 0644,
// leaves no temporary file behind, and fails (naming the file) when the
// directory does not exist.
func TestWriteFile_IsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "h.history.json")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
	require.NoError(t, history.WriteFile(path, historytest.Example(), history.Meta{Seed: 3}))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left")
	_, meta, err := history.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), meta.Seed)

	err = history.WriteFile(filepath.Join(dir, "no", "such", "dir", "h.json"), &history.History{}, history.Meta{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "h.json")
}
