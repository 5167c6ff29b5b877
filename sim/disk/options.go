package disk

import "fmt"

// DefaultMaxFileSize is the MaxFileSize a disk uses when Options leaves it zero.
const DefaultMaxFileSize = 64 << 20

// opOverhead is what one unsynced operation costs against MaxFileSize on
// top of its data, so that a stream of unsynced truncates is bounded too.
const opOverhead = 64

// Options are a disk's fault rates and bounds. The zero value is a perfect
// disk: no injected errors, no torn writes, files of up to DefaultMaxFileSize.
type Options struct {
	// ReadErrorRate is the probability that a ReadAt fails with ErrInjected.
	ReadErrorRate float64
	// WriteErrorRate is the probability that a WriteAt or Truncate fails
	// with ErrInjected. A failed call changes nothing.
	WriteErrorRate float64
	// SyncErrorRate is the probability that a Sync fails with ErrInjected.
	// A failed Sync makes nothing durable: the file's unsynced operations
	// stay unsynced.
	SyncErrorRate float64
	// TornWriteRate is, for each file that has unsynced operations when the
	// disk crashes, the probability that part of them reaches the disk
	// before it stops (see the package comment for exactly which part).
	// Otherwise the file reverts to its durable content.
	TornWriteRate float64
	// MaxFileSize bounds a file's size, and separately the bytes its
	// unsynced operations hold (each operation counts its data plus 64
	// bytes); a WriteAt or Truncate past either bound fails with
	// ErrTooLarge. Zero means DefaultMaxFileSize.
	MaxFileSize int64
}

// Validate reports the first field that is out of range: a probability
// outside [0,1] (NaN included) or a negative size.
func (o Options) Validate() error {
	rates := []struct {
		name string
		p    float64
	}{
		{"ReadErrorRate", o.ReadErrorRate},
		{"WriteErrorRate", o.WriteErrorRate},
		{"SyncErrorRate", o.SyncErrorRate},
		{"TornWriteRate", o.TornWriteRate},
	}
	for _, r := range rates {
		if !(r.p >= 0 && r.p <= 1) { // also refuses NaN
			return fmt.Errorf("disk: Options.%s = %v: probability outside [0,1]", r.name, r.p)
		}
	}
	if o.MaxFileSize < 0 {
		return fmt.Errorf("disk: Options.MaxFileSize = %d: negative size", o.MaxFileSize)
	}
	return nil
}

// maxFileSize is MaxFileSize with the default applied.
func (o Options) maxFileSize() int64 {
	if o.MaxFileSize == 0 {
		return DefaultMaxFileSize
	}
	return o.MaxFileSize
}
