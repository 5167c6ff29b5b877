package history

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDecode_RefusesAnInputPastTheLimit: Decode reads at most its limit
// and says so, rather than loading an unbounded input.
func TestDecode_RefusesAnInputPastTheLimit(t *testing.T) {
	in := `{"format": "syncsim-history", "version": 1, "history": {}}`
	_, _, err := decode(strings.NewReader(in), int64(len(in)))
	require.NoError(t, err, "an input of exactly the limit is read")
	_, _, err = decode(strings.NewReader(in+" "), int64(len(in)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "longer than 58 bytes (58 B)")
	assert.Equal(t, "1 GiB", sizeString(MaxFileSize))
}
