package fuzz

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/syncsim/syncsim/sim/script"
)

// clearLines zeroes what the text does not carry: line numbers.
func clearLines(s *script.Scenario) {
	for i := range s.Steps {
		s.Steps[i].Line = 0
	}
}

// FuzzScenarioParse: Parse never panics; what it accepts formats to a
// text that parses to the same scenario, and formats the same again.
func FuzzScenarioParse(f *testing.F) {
	files, _ := filepath.Glob("../sim/scenarios/testdata/scenarios/*.scn")
	more, _ := filepath.Glob("../sim/scenarios/testdata/scenarios/unsupported/*.scn")
	files = append(files, more...)
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("syncsim scenario 1\nclients: 1\n")
	f.Add("syncsim scenario 2\n")
	f.Fuzz(func(t *testing.T, text string) {
		s, err := script.Parse("fuzz.scn", strings.NewReader(text))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("a parse error of more than one line: %q", err)
			}
			return
		}
		out := s.Format()
		s2, err := script.Parse("fuzz.scn", strings.NewReader(out))
		if err != nil {
			t.Fatalf("the canonical text does not parse: %v\n%s", err, out)
		}
		if out2 := s2.Format(); out2 != out {
			t.Fatalf("formatting is not stable:\n%s\n---\n%s", out, out2)
		}
		clearLines(s)
		clearLines(s2)
		if !reflect.DeepEqual(s, s2) {
			t.Fatalf("the canonical text parses to another scenario:\n%s", out)
		}
	})
}
