package server

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/merge/mergetest"
)

// TestCompensation_RevertsExactlyWhatTheRoleForbids: for any transaction
// on any state, applying it and then its compensation gives the state the
// transaction's permitted instructions alone give (schema additions are
// always permitted).
func TestCompensation_RevertsExactlyWhatTheRoleForbids(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		base := mergetest.State().Draw(t, "base")
		after := base.Clone()
		cs := mergetest.Txn(t, after, 12, changeset.Discriminant{Timestamp: 1, FileIdent: 1}, "txn")
		role := Role{Write: map[string]bool{rapid.SampledFrom([]string{"A", "B"}).Draw(t, "forbidden"): false}}
		if rapid.Bool().Draw(t, "read only") {
			role = Role{ReadOnly: true}
		}

		ins, writes, err := compensation(base.Clone(), cs, role)
		require.NoError(t, err)
		require.NoError(t, after.Apply(&changeset.Changeset{Instructions: ins}), "the compensation applies")

		want := base.Clone()
		var permitted []changeset.Instruction
		for _, in := range cs.Instructions {
			if role.permits(&in) {
				permitted = append(permitted, in)
			}
		}
		require.NoError(t, want.Apply(&changeset.Changeset{Instructions: permitted}))
		require.True(t, want.Equal(after), "want\n%s\ngot\n%s", want, after)
		require.Equal(t, len(permitted) == len(cs.Instructions), len(writes) == 0, "writes named: %v", writes)
	})
}

func TestOptions_RolesMustBeConsistent(t *testing.T) {
	cases := []struct {
		name  string
		roles map[string]Role
		def   string
	}{
		{"a role named unlike its key", map[string]Role{"a": {Name: "b"}}, ""},
		{"a role with an empty name", map[string]Role{"": {}}, ""},
		{"a default role that is not a role", map[string]Role{"a": {}}, "b"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(nil, nil, nil, Options{Address: "server", Roles: c.roles, DefaultRole: c.def})
			require.Error(t, err)
		})
	}
}
