package script_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/sim/script"
)

const head = "syncsim scenario 1\nclients: 3\n"

// A malformed file gives one line naming the file, the line and the
// field.
func TestParse_MalformedNamesFileLineAndField(t *testing.T) {
	for _, tc := range []struct {
		mistake, text string
		line          int
		field, msg    string
	}{
		{"unknown step", head + "at 1m client 0 dance\n", 3, "step", `unknown client step "dance"`},
		{"unknown first word", head + "sometimes client 0 pause\n", 3, "step", `unknown step "sometimes"`},
		{"bad time", head + "at 1x client 0 pause\n", 3, "at", `at "1x": want a duration`},
		{"negative time", head + "at -1m client 0 pause\n", 3, "at", "out of range"},
		{"time too long", head + "at 900h client 0 pause\n", 3, "at", "out of range"},
		{"after the deadline", head + "deadline: 5m\nat 6m client 0 pause\n", 4, "at", "not before the deadline 5m0s"},
		{"block past the deadline", head + "deadline: 5m\nfrom 1m to 5m faults offline=1\n", 4, "to", "not before the deadline"},
		{"bad value", head + "at 1m client 0 write Task 7 title=3\n", 3, "title", "want a quoted string"},
		{"bad integer", head + "at 1m client 0 write Task 7 done+=x\n", 3, "done", "want an integer"},
		{"null not nullable", head + "at 1m client 0 write Task 7 done=null\n", 3, "done", "not nullable"},
		{"bad link", head + "at 1m client 0 write Task 7 owner=Task[1]\n", 3, "owner", "want a link Person[key]"},
		{"client out of range", head + "at 2m client 9 pause\n", 3, "client", "client 9 out of range (clients: 3)"},
		{"client not a number", head + "at 2m client x pause\n", 3, "client", `client "x": want a client number`},
		{"wrong version", "syncsim scenario 2\nclients: 1\n", 1, "version", "format version 2: this build reads version 1"},
		{"missing header", "clients: 1\n", 1, "version", "missing the version line"},
		{"empty file", "# nothing\n", 1, "version", "missing the version line"},
		{"missing clients", "syncsim scenario 1\nat 1m expect converged\n", 2, "clients", "no clients"},
		{"duplicate header field", head + "clients: 2\n", 3, "clients", "clients given twice"},
		{"unknown header field", head + "colour: blue\n", 3, "colour", "unknown header field"},
		{"two realms", head + "realms: /a /b\n", 3, "realms", "not yet supported"},
		{"unknown schema", head + "schema: people\n", 3, "schema", `schema "people": no such schema`},
		{"bad reset mode", head + "reset: * sometimes\n", 3, "reset", `mode "sometimes"`},
		{"duplicate reset", head + "reset: client 1 discard\nreset: client 1 manual\n", 4, "reset", "given twice"},
		{"bad network rate", head + "network: drops=2\n", 3, "network drops", "want a number in [0, 1]"},
		{"heal after deadline", head + "deadline: 5m\nheal: 6m\nat 1m expect converged\n", 5, "heal", "not before the deadline"},
		{"expect on unknown field", head + "expect client 0 Task 7 colour=\"red\"\n", 3, "colour", "no such field"},
		{"expect on unknown class", head + "expect server Project 7 absent\n", 3, "object", `class "Project": no such class`},
		{"expect on a list", head + "expect server Task 7 tags=\"a\"\n", 3, "tags", "is a list"},
		{"bad key", head + "expect server Person 7 absent\n", 3, "object", "want a quoted string"},
		{"list op on a scalar", head + "at 1m client 0 write Task 7 title.insert 0 \"a\"\n", 3, "title", "not a list"},
		{"unknown list op", head + "at 1m client 0 write Task 7 tags.shuffle\n", 3, "tags", "unknown list operation"},
		{"unclosed quote", head + "at 1m client 0 write Task 7 title=\"x\n", 3, "line", "not closed"},
		{"block backwards", head + "from 5m to 1m client * write random every 2s\n", 3, "to", "not after from"},
		{"block too dense", head + "from 0s to 1m client * write random every 1ms\n", 3, "every", "out of range"},
		{"unknown fault kind", head + "from 0s to 1m faults meteor=1\n", 3, "faults", `unknown fault kind "meteor"`},
		{"fault rate out of range", head + "from 0s to 1m faults offline=5000\n", 3, "faults offline", "want a number"},
		{"bad restore", head + "at 1m server restore backup x\n", 3, "backup", "want an integer"},
		{"bad drift", head + "at 1m client 0 clock drift fast\n", 3, "clock drift", "parts per million"},
		{"schema add existing", head + "at 1m server schema add Task.title string\n", 3, "schema add", "already exists"},
		{"pause with argument", head + "at 1m client 0 pause now\n", 3, "pause", "takes no arguments"},
	} {
		t.Run(strings.ReplaceAll(tc.mistake, " ", "_"), func(t *testing.T) {
			_, err := script.Parse("bad.scn", strings.NewReader(tc.text))
			require.Error(t, err)
			var pe *script.ParseError
			require.True(t, errors.As(err, &pe), "%T %v", err, err)
			msg := err.Error()
			require.NotContains(t, msg, "\n")
			require.Equal(t, "bad.scn", pe.File)
			require.Equal(t, tc.line, pe.Line, msg)
			require.Equal(t, tc.field, pe.Field, msg)
			require.True(t, strings.HasPrefix(msg, "bad.scn:"), msg)
			require.Contains(t, msg, tc.msg)
		})
	}
}
