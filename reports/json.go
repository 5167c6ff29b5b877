package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// The summary's format name and version: ReadSummary refuses any other.
const (
	SummaryFormat  = "syncsim-campaign-summary"
	SummaryVersion = 1
)

// ErrSummary marks a summary that ReadSummary refuses.
var ErrSummary = errors.New("reports: summary")

// summaryFile is summary.json: the format header, then the campaign.
type summaryFile struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	*Campaign
}

// WriteJSON writes c as summary.json: every field of the campaign and of
// every seed, in snake_case, with a "format" and a "version".
func WriteJSON(w io.Writer, c *Campaign) error {
	b, err := json.MarshalIndent(summaryFile{Format: SummaryFormat, Version: SummaryVersion, Campaign: c}, "", "  ")
	if err != nil {
		return fmt.Errorf("reports: encoding the summary: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("reports: writing the summary: %w", err)
	}
	return nil
}

// ReadSummary reads a summary that WriteJSON wrote. It refuses another
// format or version, unknown fields, trailing data and results that are
// not well formed (an unknown verdict, a seed twice), and builds the
// campaign again from its results and metadata (the aggregates in the file
// are not trusted).
func ReadSummary(r io.Reader) (*Campaign, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%w: reading: %w", ErrSummary, err)
	}
	var head struct {
		Format  *string `json:"format"`
		Version *int    `json:"version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object: %w", ErrSummary, err)
	}
	switch {
	case head.Format == nil:
		return nil, fmt.Errorf("%w: no \"format\" field (want %q)", ErrSummary, SummaryFormat)
	case *head.Format != SummaryFormat:
		return nil, fmt.Errorf("%w: format %q, want %q", ErrSummary, *head.Format, SummaryFormat)
	case head.Version == nil:
		return nil, fmt.Errorf("%w: no \"version\" field (want %d)", ErrSummary, SummaryVersion)
	case *head.Version != SummaryVersion:
		return nil, fmt.Errorf("%w: version %d of %s, this build reads version %d", ErrSummary, *head.Version, SummaryFormat, SummaryVersion)
	}
	f := summaryFile{Campaign: &Campaign{}}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: malformed: %w", ErrSummary, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: malformed: data after the summary object", ErrSummary)
	}
	seen := map[string]bool{}
	for i, r := range f.Results {
		if !validVerdict(r.Verdict) {
			return nil, fmt.Errorf("%w: result %d (scenario %s seed %d): unknown verdict %q", ErrSummary, i, r.Scenario, r.Seed, r.Verdict)
		}
		key := fmt.Sprintf("%s\x00%d", r.Scenario, r.Seed)
		if seen[key] {
			return nil, fmt.Errorf("%w: scenario %s seed %d appears twice", ErrSummary, r.Scenario, r.Seed)
		}
		seen[key] = true
	}
	return Build(f.Results, f.Meta()), nil
}
