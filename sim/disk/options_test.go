package disk

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/sim/rng"
)

func TestValidateRefusesOutOfRangeFieldsNamingThem(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"negative read rate", Options{ReadErrorRate: -0.1}, "disk: Options.ReadErrorRate = -0.1: probability outside [0,1]"},
		{"write rate above one", Options{WriteErrorRate: 1.5}, "disk: Options.WriteErrorRate = 1.5: probability outside [0,1]"},
		{"NaN sync rate", Options{SyncErrorRate: math.NaN()}, "disk: Options.SyncErrorRate = NaN: probability outside [0,1]"},
		{"negative torn rate", Options{TornWriteRate: -1}, "disk: Options.TornWriteRate = -1: probability outside [0,1]"},
		{"infinite torn rate", Options{TornWriteRate: math.Inf(1)}, "disk: Options.TornWriteRate = +Inf: probability outside [0,1]"},
		{"negative max file size", Options{MaxFileSize: -5}, "disk: Options.MaxFileSize = -5: negative size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.EqualError(t, tt.opts.Validate(), tt.want)
			_, err := New(rng.New(1), "n", nil, nil, tt.opts)
			require.EqualError(t, err, tt.want)
		})
	}
}

func TestValidateAcceptsBoundsAndZero(t *testing.T) {
	for _, o := range []Options{
		{},
		{ReadErrorRate: 1, WriteErrorRate: 1, SyncErrorRate: 1, TornWriteRate: 1, MaxFileSize: 1},
		{ReadErrorRate: 0.25, TornWriteRate: 0.5},
	} {
		assert.NoError(t, o.Validate(), "%+v", o)
	}
}

func TestNewRefusesMissingStreamOrClock(t *testing.T) {
	_, err := New(nil, "n", nil, nil, Options{})
	require.ErrorContains(t, err, "nil rng stream")
	_, err = New(rng.New(1), "n", nil, &events{}, Options{})
	require.ErrorContains(t, err, "now is nil")
}

func TestZeroMaxFileSizeMeansDefault(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{})
	f := open(t, d, "f")
	write(t, f, 1<<20, "x")
	err := f.Truncate(DefaultMaxFileSize + 1)
	require.ErrorIs(t, err, ErrTooLarge)
	require.ErrorContains(t, err, "past the maximum file size 67108864")
}
