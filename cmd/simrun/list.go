package main

import (
	"fmt"
	"io"
	"sort"

	"github.com/syncsim/syncsim/engine/mutant"
	"github.com/syncsim/syncsim/sim/scenarios"
)

func cmdList(stdout io.Writer) error {
	names := scenarios.Names()
	sort.Strings(names)
	for _, n := range names {
		sc, _ := scenarios.Lookup(n)
		fmt.Fprintf(stdout, "%-20s %s\n", n, sc.Story)
	}
	fmt.Fprintln(stdout, "\nmutants (run --mutant name[,name]):")
	for _, m := range mutant.All() {
		fmt.Fprintf(stdout, "%-32s %-10s %s\n", m.Name(), m.Layer(), m.Description())
	}
	return nil
}
