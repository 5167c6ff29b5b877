package reports

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The JUnit XML elements written by WriteJUnit (the schema most CI
// dashboards read: testsuites > testsuite > testcase).
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Time       string          `xml:"time,attr"`
		Timestamp  string          `xml:"timestamp,attr,omitempty"`
		Properties []junitProperty `xml:"properties>property"`
		Cases      []junitCase     `xml:"testcase"`
		SystemOut  *junitText      `xml:"system-out"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitProblem `xml:"failure"`
		Error     *junitProblem `xml:"error"`
	}
	junitProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Body    string `xml:",cdata"`
	}
	junitText struct {
		Text string `xml:",cdata"`
	}
)

// junitMessageLimit bounds a failure's message attribute; its body has
// the whole text.
const junitMessageLimit = 300

// WriteJUnit writes c as JUnit XML: a test suite per scenario, a test case
// per seed ("seed N"). A failing or nondeterministic seed is a failure
// whose message is its oracle and message and whose body holds the replay
// command; a crash or a timeout is an error. A partial campaign says so in
// a "partial" property and in the suite's system-out.
func WriteJUnit(w io.Writer, c *Campaign) error {
	top := junitSuites{Name: "syncsim " + strings.Join(c.Scenarios, ",")}
	var total time.Duration
	for _, sc := range scenariosOf(c) {
		s := junitSuite{Name: sc, Properties: []junitProperty{
			{"partial", strconv.FormatBool(c.Partial)},
			{"mutants", strings.Join(c.Mutants, ",")},
			{"shards", strings.Join(c.Shards, ",")},
		}}
		if !c.Started.IsZero() {
			s.Timestamp = c.Started.Format("2006-01-02T15:04:05")
		}
		out := ""
		if c.Partial {
			s.Properties = append(s.Properties, junitProperty{"partial_reason", c.PartialReason})
			out = "partial run: the campaign stopped before all its seeds ran"
			if c.PartialReason != "" {
				out += " (" + c.PartialReason + ")"
			}
			out += "\n"
		}
		var suiteTime time.Duration
		for _, r := range c.Results {
			if r.Scenario != sc {
				continue
			}
			tc := junitCase{Name: fmt.Sprintf("seed %d", r.Seed), Classname: "syncsim." + sc, Time: seconds(r.Wall)}
			suiteTime += r.Wall
			if r.Failed() {
				p := &junitProblem{
					Message: xmlClean(truncate(cmpJoin(r.Oracle, r.Message), junitMessageLimit)),
					Type:    xmlClean(cmp.Or(r.Oracle, r.Verdict)),
					Body:    xmlClean(problemBody(r)),
				}
				switch r.Verdict {
				case VerdictCrash, VerdictTimeout:
					tc.Error = p
					s.Errors++
				default:
					tc.Failure = p
					s.Failures++
				}
			}
			s.Cases = append(s.Cases, tc)
			s.Tests++
		}
		for _, rc := range c.Nondeterministic {
			if rc.Scenario == sc {
				out += fmt.Sprintf("nondeterministic: seed %d ran twice with trace hashes %s and %s\n", rc.Seed, rc.First, rc.Second)
			}
		}
		if out != "" {
			s.SystemOut = &junitText{xmlClean(out)}
		}
		s.Time = seconds(suiteTime)
		total += suiteTime
		top.Tests += s.Tests
		top.Failures += s.Failures
		top.Errors += s.Errors
		top.Suites = append(top.Suites, s)
	}
	top.Time = seconds(max(total, c.Duration))
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("reports: writing the JUnit XML: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(top); err != nil {
		return fmt.Errorf("reports: writing the JUnit XML: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("reports: writing the JUnit XML: %w", err)
	}
	return nil
}

// scenariosOf is c's scenarios and those of its results, sorted.
func scenariosOf(c *Campaign) []string {
	names := slices.Clone(c.Scenarios)
	for _, r := range c.Results {
		names = append(names, r.Scenario)
	}
	return sortedSet(names)
}

// problemBody is a failure's text: verdict, oracle, message, files and
// the replay command.
func problemBody(r SeedResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "verdict: %s\n", r.Verdict)
	if r.Oracle != "" {
		fmt.Fprintf(&b, "oracle: %s\n", r.Oracle)
	}
	if r.Message != "" {
		fmt.Fprintf(&b, "message: %s\n", r.Message)
	}
	fmt.Fprintf(&b, "trace hash: %s\n", r.TraceHash)
	for _, f := range []struct{ name, path string }{
		{"trace", r.Files.Trace}, {"history", r.Files.History}, {"views", r.Files.Views}, {"shrunk", r.Files.Shrunk},
	} {
		if f.path != "" {
			fmt.Fprintf(&b, "%s: %s\n", f.name, f.path)
		}
	}
	if r.Files.Replay != "" {
		fmt.Fprintf(&b, "replay: %s\n", r.Files.Replay)
	}
	return b.String()
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

// cmpJoin is "a: b", or whichever is not empty.
func cmpJoin(a, b string) string {
	if a != "" && b != "" {
		return a + ": " + b
	}
	return a + b
}

// xmlClean replaces the characters XML 1.0 cannot carry (most control
// characters) with U+FFFD, so that any message makes a well-formed file.
func xmlClean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, s)
}
