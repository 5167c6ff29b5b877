// Package reports turns a campaign's per-seed results into a report: the
// model (a Campaign built from SeedResults, with its aggregates) and its
// renderers — a self-contained HTML page with inline SVG charts, Markdown
// for CI summaries, versioned JSON for machines (which ReadSummary reads
// back, so shard outputs can be merged and re-rendered) and JUnit XML for
// CI dashboards.
//
// A run is three steps: simulate (sim), judge (oracle), report (this
// package). The model is plain data: cmd/simrun fills a SeedResult from a
// sim.Result, and FromJudged adds what the recorded history.History and
// the oracle.Report say (faults, resets, write buckets, time to converge).
// Build computes the aggregates; Merge joins the campaigns of several
// shards.
//
// Every renderer is deterministic: the same Campaign gives the same bytes
// (maps are rendered in sorted order, and no time appears that is not in
// the model). The package holds code, not output: where reports are
// written is the caller's business.
package reports
