package scenarios

import (
	"bytes"
	"embed"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/syncsim/syncsim/sim/script"
)

// files are the named scenario files (sim/scenarios/testdata/scenarios,
// embedded: the module root's testdata cannot be), each registered under
// its file name without .scn.
//
//go:embed testdata/scenarios/*.scn
var files embed.FS

// FromScript is the scenario a parsed scenario file describes.
func FromScript(s *script.Scenario, name string) Scenario {
	return Scenario{
		Name:    name,
		Story:   strings.Join(s.Story, " "),
		Config:  s.Config,
		Install: s.Install,
	}
}

// Resolve finds a scenario by a registered name, or, if nameOrPath names
// a .scn file (or contains a path separator), parses that file. A parse
// error names the file, line and field. A file scenario is named by the
// path as given, so that its traces and workers find it again.
func Resolve(nameOrPath string) (Scenario, error) {
	if s, ok := registry[nameOrPath]; ok {
		return s, nil
	}
	if !strings.HasSuffix(nameOrPath, ".scn") && !strings.ContainsRune(nameOrPath, filepath.Separator) {
		return Lookup(nameOrPath)
	}
	b, err := os.ReadFile(nameOrPath)
	if err != nil {
		return Scenario{}, fmt.Errorf("scenarios: %w", err)
	}
	s, err := script.Parse(nameOrPath, bytes.NewReader(b))
	if err != nil {
		return Scenario{}, err
	}
	return FromScript(s, nameOrPath), nil
}

// DefaultSeed is a scenario file's default seed (its `seed:`), or 0.
func DefaultSeed(nameOrPath string) uint64 { return defaultSeeds[nameOrPath] }

var defaultSeeds = map[string]uint64{}

func init() {
	entries, err := files.ReadDir("testdata/scenarios")
	if err != nil {
		panic(err) // the embedded directory is always there
	}
	for _, e := range entries {
		b, err := files.ReadFile(path.Join("testdata/scenarios", e.Name()))
		if err != nil {
			panic(err)
		}
		name := strings.TrimSuffix(e.Name(), ".scn")
		s, err := script.Parse(e.Name(), bytes.NewReader(b))
		if err != nil {
			panic(fmt.Sprintf("scenarios: a named scenario file does not parse: %v", err))
		}
		defaultSeeds[name] = s.Seed
		if err := Register(FromScript(s, name)); err != nil {
			panic(err)
		}
	}
}
