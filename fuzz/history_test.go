package fuzz

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/history"
	"github.com/syncsim/syncsim/history/historytest"
)

// FuzzHistoryDecode: decoding any bytes as a saved history either fails
// with an error saying "history: …" or yields a valid history that
// re-encodes and decodes to an equal one (JSON does not tell an empty list
// or map from a missing one, so those count as equal); it never panics.
func FuzzHistoryDecode(f *testing.F) {
	// Small seeds, compact, one kind of record each: the fuzzer minimizes
	// every new interesting input, which takes long on a large one.
	enc := func(h *history.History, meta history.Meta) []byte {
		var buf, compact bytes.Buffer
		if err := history.Encode(&buf, h, meta); err != nil {
			f.Fatal(err)
		}
		if err := json.Compact(&compact, buf.Bytes()); err != nil {
			f.Fatal(err)
		}
		return compact.Bytes()
	}
	full := reflect.ValueOf(historytest.Example()).Elem()
	for i := range full.NumField() {
		one := &history.History{}
		reflect.ValueOf(one).Elem().Field(i).Set(full.Field(i))
		if one.Restores != nil {
			one.Backups = historytest.Example().Backups // a restore needs its backup
		}
		for i := range one.ResetChecks { // one state is enough
			rc := &one.ResetChecks[i]
			rc.Before, rc.After, rc.Fresh, rc.Backup = *rc.Fresh, history.PlainState{}, nil, nil
			rc.Unsynced = rc.Unsynced[:1]
			rc.Unsynced[0].Instructions = rc.Unsynced[0].Instructions[:4]
		}
		f.Add(enc(one, history.Meta{Seed: uint64(i)}))
	}
	f.Add(enc(&history.History{}, historytest.ExampleMeta()))
	f.Add([]byte(`{"format":"syncsim-history","version":1,"meta":{"seed":1},"history":{"reads":[{"client":"c","realm":"/r","object":"A[1]","field":"f","value":"1","call":1,"return":1}]}}`))
	f.Add([]byte(`{"format":"syncsim-history","version":2,"history":{}}`))
	f.Add([]byte(`{"format":"syncsim-trace","version":1}`))
	f.Add([]byte(`{"format":"syncsim-history","version":1,"history":{"uploads":[{"client":"c"`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, meta, err := history.Decode(bytes.NewReader(b))
		if err != nil {
			require.True(t, strings.HasPrefix(err.Error(), "history: "), "error %q does not say it is about a history", err)
			return
		}
		require.NoError(t, h.Validate(), "what Decode accepts is valid")
		var again bytes.Buffer
		require.NoError(t, history.Encode(&again, h, meta))
		h2, meta2, err := history.Decode(bytes.NewReader(again.Bytes()))
		require.NoError(t, err, "what Decode accepted, encoded, decodes again:\n%s", again.Bytes())
		require.Equal(t, emptyAsNil(h), emptyAsNil(h2))
		require.Equal(t, emptyAsNil(&meta), emptyAsNil(&meta2))
		var twice bytes.Buffer
		require.NoError(t, history.Encode(&twice, h2, meta2))
		require.Equal(t, again.Bytes(), twice.Bytes(), "the encoding is canonical from the first re-encoding on")
	})
}

// emptyAsNil returns a deep copy of *p (a pointer to a struct) in which
// every empty slice or map is nil.
func emptyAsNil[T any](p *T) *T {
	c := reflect.New(reflect.TypeFor[T]())
	c.Elem().Set(normalized(reflect.ValueOf(*p)))
	return c.Interface().(*T)
}

func normalized(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(normalized(v.Elem()))
		return c
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			if c.Field(i).CanSet() {
				c.Field(i).Set(normalized(v.Field(i)))
			}
		}
		return c
	case reflect.Slice:
		if v.Len() == 0 {
			return reflect.Zero(v.Type())
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(normalized(v.Index(i)))
		}
		return c
	case reflect.Map:
		if v.Len() == 0 {
			return reflect.Zero(v.Type())
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			c.SetMapIndex(it.Key(), normalized(it.Value()))
		}
		return c
	}
	return v
}
