package reports

import (
	"fmt"
	"html"
	"html/template"
	"slices"
	"strings"
	"time"
)

// The charts are inline SVG written by hand: no script, no external
// resource. Each function returns a whole <svg> element, its text
// escaped, sized by a viewBox so that it scales to its container.

// palette colours series in order (Tableau 10, legible on white).
var palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

// bucketColours colour the write-accounting buckets: visible green, lost red.
var bucketColours = map[string]string{
	"visible": "#59a14f", "overridden": "#76b7b2", "deleted": "#9c755f", "reverted": "#b07aa1",
	"discarded": "#f28e2b", "rolled back": "#edc948", "preserved": "#4e79a7", "lost": "#e15759",
}

const (
	chartWidth = 560
	charWidth  = 7 // an estimate of a character's width at the charts' 12px font
	// timelineWidth is the width of a seed's fault timeline, which spans the page.
	timelineWidth = 1100
)

// bar is one bar of a chart.
type bar struct {
	Label  string
	Value  int
	Colour string
	Title  string // the tooltip; Label: Value if empty
}

// esc escapes s for SVG text and attributes.
func esc(s string) string { return html.EscapeString(s) }

// svgOpen starts an <svg> of the given height with an accessible title.
func svgOpen(b *strings.Builder, width, height int, title string) {
	fmt.Fprintf(b, `<svg class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s"><title>%s</title>`,
		width, height, width, height, esc(title), esc(title))
}

// hBars draws horizontal bars, a row per bar: its label on the left, its
// value at the end of the bar.
func hBars(title string, bars []bar) template.HTML {
	const rowH, top = 24, 6
	labelW := 0
	for _, x := range bars {
		labelW = max(labelW, len([]rune(x.Label))*charWidth)
	}
	labelW = min(max(labelW+12, 60), 230)
	maxV := 1
	for _, x := range bars {
		maxV = max(maxV, x.Value)
	}
	plotW := chartWidth - labelW - 60
	var b strings.Builder
	svgOpen(&b, chartWidth, top*2+rowH*len(bars), title)
	for i, x := range bars {
		y := top + i*rowH
		w := max(x.Value*plotW/maxV, 3) // a count of 1 among thousands still shows
		label := x.Label
		if len([]rune(label))*charWidth > labelW-12 {
			label = truncate(label, (labelW-12)/charWidth)
		}
		tip := x.Title
		if tip == "" {
			tip = fmt.Sprintf("%s: %d", x.Label, x.Value)
		}
		fmt.Fprintf(&b, `<g><title>%s</title><text x="%d" y="%d" text-anchor="end" class="lbl">%s</text>`,
			esc(tip), labelW-8, y+rowH/2+4, esc(label))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" rx="2"/>`, labelW, y+3, w, rowH-6, x.Colour)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="val">%d</text></g>`, labelW+w+6, y+rowH/2+4, x.Value)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// countBars is hBars over counts, coloured by colour (nil: the palette in
// order).
func countBars(title string, xs []NameCount, colour func(i int, name string) string) template.HTML {
	bars := make([]bar, len(xs))
	for i, x := range xs {
		c := palette[i%len(palette)]
		if colour != nil {
			c = colour(i, x.Name)
		}
		bars[i] = bar{Label: x.Name, Value: x.N, Colour: c}
	}
	return hBars(title, bars)
}

func bucketColour(i int, name string) string {
	if c, ok := bucketColours[name]; ok {
		return c
	}
	return palette[i%len(palette)]
}

func oneColour(c string) func(int, string) string { return func(int, string) string { return c } }

// histogram draws the time-to-converge distribution: a column per bucket,
// the bucket edges along the x axis, the count above each column, and the
// seeds that did not converge as a red column apart on the right.
func histogram(s ConvergeStats) template.HTML {
	const left, right, top, bottom, height = 40, 12, 18, 40, 220
	cols := len(s.Histogram)
	if s.NotConverged > 0 {
		cols++
	}
	maxN := 1
	for _, h := range s.Histogram {
		maxN = max(maxN, h.N)
	}
	maxN = max(maxN, s.NotConverged)
	plotW, plotH := chartWidth-left-right, height-top-bottom
	gap := 0
	if s.NotConverged > 0 {
		gap = 16
	}
	colW := (plotW - gap) / max(cols, 1)
	y := func(n int) int { return top + plotH - n*plotH/maxN }
	// label every step-th edge, so that the labels do not overlap
	labelW := 0
	for _, h := range s.Histogram {
		labelW = max(labelW, len([]rune(fmtDur(h.Lo)))*charWidth+8, len([]rune(fmtDur(h.Hi)))*charWidth+8)
	}
	step := max(1, (labelW+colW-1)/max(colW, 1))
	var b strings.Builder
	svgOpen(&b, chartWidth, height, "time to converge after heal: seeds per bucket")
	// the y axis: gridlines at 0, half and the maximum
	for _, n := range slices.Compact([]int{0, maxN / 2, maxN}) {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" class="grid"/><text x="%d" y="%d" text-anchor="end" class="tick">%d</text>`,
			left, chartWidth-right, y(n), y(n), left-6, y(n)+4, n)
	}
	for i, h := range s.Histogram {
		x := left + i*colW
		fmt.Fprintf(&b, `<g><title>%s: %d seeds</title><rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`,
			esc(bucketLabel(h)), h.N, x+2, y(h.N), colW-4, top+plotH-y(h.N), palette[0])
		if h.N > 0 {
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" class="val">%d</text>`, x+colW/2, y(h.N)-4, h.N)
		}
		b.WriteString(`</g>`)
		// the edges: the lower one under every step-th column, the last
		// upper one at the end
		if i%step == 0 {
			fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" class="axis"/><text x="%d" y="%d" text-anchor="middle" class="tick">%s</text>`,
				x, x, top+plotH, top+plotH+4, x, top+plotH+16, esc(fmtDur(h.Lo)))
		}
		if i == len(s.Histogram)-1 && (i+1)%step == 0 {
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" class="tick">%s</text>`, x+colW, top+plotH+16, esc(fmtDur(h.Hi)))
		}
	}
	if s.NotConverged > 0 {
		x := left + len(s.Histogram)*colW + gap
		fmt.Fprintf(&b, `<g><title>did not converge: %d seeds</title><rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`,
			s.NotConverged, x+2, y(s.NotConverged), colW-4, top+plotH-y(s.NotConverged), bucketColours["lost"])
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" class="val">%d</text></g>`, x+colW/2, y(s.NotConverged)-4, s.NotConverged)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" class="tick">never</text>`, x+colW/2, top+plotH+16)
	}
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" class="axis"/>`, left, chartWidth-right, top+plotH, top+plotH)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" class="axislbl">simulated time from heal to convergence</text>`, left+plotW/2, height-6)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// resetBars draws the client resets: a row per cause, stacked by mode,
// with a legend of the modes; each segment's tooltip splits it by outcome.
func resetBars(rs []ResetCount) template.HTML {
	var causes, modes []string
	total := map[string]int{}
	seg := map[[2]string]int{}
	outcomes := map[[2]string][]string{}
	for _, r := range rs {
		causes, modes = append(causes, r.Cause), append(modes, r.Mode)
		total[r.Cause] += r.N
		k := [2]string{r.Cause, r.Mode}
		seg[k] += r.N
		outcomes[k] = append(outcomes[k], fmt.Sprintf("%s %d", r.Outcome, r.N))
	}
	causes, modes = sortedSet(causes), sortedSet(modes)
	const rowH, legendH = 24, 26
	labelW := 0
	for _, c := range causes {
		labelW = max(labelW, len([]rune(c))*charWidth)
	}
	labelW = min(max(labelW+12, 60), 230)
	maxT := 1
	for _, n := range total {
		maxT = max(maxT, n)
	}
	plotW := chartWidth - labelW - 60
	var b strings.Builder
	svgOpen(&b, chartWidth, legendH+rowH*len(causes)+6, "client resets by cause, stacked by mode")
	x := labelW
	for i, m := range modes {
		fmt.Fprintf(&b, `<rect x="%d" y="6" width="12" height="12" fill="%s"/><text x="%d" y="16" class="lbl">%s</text>`,
			x, palette[i%len(palette)], x+16, esc(m))
		x += 16 + len([]rune(m))*charWidth + 14
	}
	for i, c := range causes {
		y := legendH + i*rowH
		label := c
		if len([]rune(label))*charWidth > labelW-12 {
			label = truncate(label, (labelW-12)/charWidth)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" class="lbl"><title>%s</title>%s</text>`, labelW-8, y+rowH/2+4, esc(c), esc(label))
		x := labelW
		for j, m := range modes {
			n := seg[[2]string{c, m}]
			if n == 0 {
				continue
			}
			w := max(n*plotW/maxT, 1)
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s, %s: %d (%s)</title></rect>`,
				x, y+3, w, rowH-6, palette[j%len(palette)], esc(c), esc(m), n, esc(strings.Join(outcomes[[2]string{c, m}], ", ")))
			x += w
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="val">%d</text>`, x+6, y+rowH/2+4, total[c])
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// timeline draws one seed's faults along simulated time: a lane per kind,
// a mark per fault (its tooltip says when and on what).
func timeline(r SeedResult) template.HTML {
	var kinds []string
	end := r.SimTime
	for _, e := range r.Timeline {
		kinds = append(kinds, e.Kind)
		end = max(end, e.At)
	}
	kinds = sortedSet(kinds)
	end = max(end, time.Millisecond)
	labelW := 0
	for _, k := range kinds {
		labelW = max(labelW, len([]rune(k))*charWidth)
	}
	labelW = min(max(labelW+12, 120), 200) // at least 120: the timelines of most seeds line up
	const laneH, top, bottom, right, width = 20, 6, 30, 24, timelineWidth
	plotW := width - labelW - right
	height := top + laneH*len(kinds) + bottom
	x := func(d time.Duration) int { return labelW + int(float64(d)/float64(end)*float64(plotW)) }
	var b strings.Builder
	svgOpen(&b, width, height, fmt.Sprintf("seed %d: faults along simulated time", r.Seed))
	for i, k := range kinds {
		y := top + i*laneH
		colour := palette[i%len(palette)]
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" class="lbl">%s</text><line x1="%d" x2="%d" y1="%d" y2="%d" class="grid"/>`,
			labelW-8, y+laneH/2+4, esc(truncate(k, (labelW-12)/charWidth)), labelW, width-right, y+laneH/2, y+laneH/2)
		for _, e := range r.Timeline {
			if e.Kind != k {
				continue
			}
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="4" height="%d" fill="%s"><title>%s %s at %s</title></rect>`,
				x(e.At)-2, y+3, laneH-6, colour, esc(e.Kind), esc(e.Target), esc(fmtDur(e.At)))
		}
	}
	axisY := top + laneH*len(kinds)
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" class="axis"/>`, labelW, width-right, axisY, axisY)
	for i := 0; i <= 8; i++ {
		d := end * time.Duration(i) / 8
		anchor := "middle"
		if i == 8 {
			anchor = "end"
		}
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" class="axis"/><text x="%d" y="%d" text-anchor="%s" class="tick">%s</text>`,
			x(d), x(d), axisY, axisY+4, x(d), axisY+16, anchor, esc(fmtDur(d)))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" class="axislbl">simulated time</text>`, labelW+plotW/2, height-2)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
