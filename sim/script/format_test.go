package script_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/sim/script"
)

// genScenario draws a scenario's text from every step kind's template.
func genScenario(t *rapid.T) string {
	n := rapid.IntRange(1, 5).Draw(t, "clients")
	c := func() int { return rapid.IntRange(0, n-1).Draw(t, "c") }
	d := func() string { return fmt.Sprintf("%ds", rapid.IntRange(0, 600).Draw(t, "d")) }
	str := func() string { return fmt.Sprintf("%q", rapid.StringN(0, 6, -1).Draw(t, "s")) }
	steps := []func() string{
		func() string {
			return fmt.Sprintf("at %s client %d write Task %d title=%s done+=%d", d(), c(), rapid.Int64().Draw(t, "k"), str(), rapid.Int64().Draw(t, "n"))
		},
		func() string {
			return fmt.Sprintf("at %s client %d write Task 1 tags.insert 0 %s tags.move 1 2 tags.erase 3 tags.clear", d(), c(), str())
		},
		func() string {
			return fmt.Sprintf("at %s client %d write Task 2 default title=%s prio=null owner=Person[%s]", d(), c(), str(), str())
		},
		func() string { return fmt.Sprintf("at %s client %d write erase Person %s", d(), c(), str()) },
		func() string { return fmt.Sprintf("at %s client %d read Task 3 prio", d(), c()) },
		func() string { return fmt.Sprintf("at %s client %d wait download timeout %s", d(), c(), "30s") },
		func() string {
			return fmt.Sprintf("at %s client %d %s", d(), c(), rapid.SampledFrom([]string{"pause", "resume", "offline",
				"online", "crash", "restart", "partition", "heal", "clog 3s", "clock step -1m", "clock drift -20ppm",
				"partition oneway from-server", "role limited", "base-url x"}).Draw(t, "a"))
		},
		func() string {
			return fmt.Sprintf("at %s server %s", d(), rapid.SampledFrom([]string{"crash", "restart", "backup",
				"restore", "restore backup 2", "terminate", "enable", "compact", "recovery off", "schema add Task.notes int?",
				"schema breaking remove Task.prio"}).Draw(t, "s"))
		},
		func() string {
			return fmt.Sprintf("at %s network drops %v", d(), rapid.Float64Range(0, 1).Draw(t, "p"))
		},
		func() string {
			return fmt.Sprintf("from 0s to %ds client * write random every 2s", rapid.IntRange(1, 600).Draw(t, "to"))
		},
		func() string {
			return fmt.Sprintf("from 10s to 20s faults offline=%v stress=1", rapid.Float64Range(0, 10).Draw(t, "r"))
		},
		func() string { return fmt.Sprintf("expect client %d Task 5 title=%s done=-3", c(), str()) },
		func() string { return fmt.Sprintf("at %s expect server Person %s absent", d(), str()) },
		func() string { return "expect converged" },
	}
	var b strings.Builder
	fmt.Fprintf(&b, "syncsim scenario 1\nstory: %s\nclients: %d\nreset: * discard\ndeadline: 20m\nseed: %d\nskew: 1m\nnetwork: drops=0.5 latency=1ms..2ms\n",
		rapid.StringMatching(`[a-z ]{1,20}[a-z]`).Draw(t, "story"), n, rapid.Uint64().Draw(t, "seed"))
	for range rapid.IntRange(0, 20).Draw(t, "steps") {
		b.WriteString(steps[rapid.IntRange(0, len(steps)-1).Draw(t, "kind")]() + "\n")
	}
	return b.String()
}

// Format then Parse gives back the scenario (but for line numbers).
func TestFormat_ParsesBackToTheSameScenario(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		text := genScenario(t)
		s, err := script.Parse("gen.scn", strings.NewReader(text))
		if err != nil {
			t.Fatalf("%v\n%s", err, text)
		}
		s2, err := script.Parse("gen.scn", strings.NewReader(s.Format()))
		if err != nil {
			t.Fatalf("%v\n%s", err, s.Format())
		}
		for _, x := range []*script.Scenario{s, s2} {
			for i := range x.Steps {
				x.Steps[i].Line = 0
			}
		}
		if !reflect.DeepEqual(s, s2) {
			t.Fatalf("not the same:\n%s\n---\n%s", text, s.Format())
		}
	})
}
