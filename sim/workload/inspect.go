package workload

import (
	"fmt"
	"io"
	"strings"

	"github.com/syncsim/syncsim/engine/client"
	"github.com/syncsim/syncsim/engine/store"
)

// Inspect prints the run's state now, for a world stopped part way
// (sim.World.Inspect, simrun replay --until): the server's realm (its
// version, epoch salt, compaction floor, expired client files and
// objects), then each client in node order (process, session and
// connection state, file ident and version, download cursor, acknowledged
// upload cursor, upload progress, pending uploads, a reset under way or
// waiting for the app, and its objects). Objects are sorted by class and
// primary key with every field and list (store.State.String). It only
// reads: the run goes on unchanged.
func (run *SyncRun) Inspect(out io.Writer) {
	p := run.cfg.Path
	fmt.Fprintf(out, "virtual time %v, realm %s, healed %v\n", run.w.Clock.Now(), p, run.healed)
	s := run.server
	if s.srv == nil {
		fmt.Fprintf(out, "%s: down\n", run.w.Server.Name)
	} else if salt, origins, ok := s.srv.History(p); !ok {
		fmt.Fprintf(out, "%s: up, no realm %s yet\n", run.w.Server.Name, p)
	} else {
		fmt.Fprintf(out, "%s: up, version %d, salt %x, floor %d, expired files %v\n",
			run.w.Server.Name, len(origins), salt, s.srv.Floor(p), s.srv.ExpiredFiles(p))
		st, _ := s.srv.State(p)
		writeObjects(out, st)
	}
	for _, c := range run.clients {
		proc := "running"
		switch {
		case c.dead:
			proc = "crashed"
		case c.realm == nil:
			proc = "opening"
		}
		fmt.Fprintf(out, "%s: user %s, %s, %d writes", c.node.Name, c.user, proc, c.writes)
		if run.cfg.Lifecycle {
			fmt.Fprintf(out, ", reset mode %v", c.mode)
		}
		if c.paused {
			fmt.Fprint(out, ", paused by a fault")
		}
		fmt.Fprintln(out)
		if c.realm == nil {
			continue
		}
		ss, r := c.realm.Session(), c.realm.Replica()
		fmt.Fprintf(out, "  session %v, connection %v, error %v\n", ss.State(), ss.ConnectionState(), ss.Err())
		ident, _ := r.Ident()
		cur, epoch := r.DownloadCursor()
		acked := r.Acked()
		fmt.Fprintf(out, "  file ident %d, version %d, download cursor server %d client %d (salt %x), upload cursor client %d server %d\n",
			ident, r.Version(), cur.ServerVersion, cur.LastIntegratedClientVersion, epoch, acked.ClientVersion, acked.LastIntegratedServerVersion)
		done, total, _ := ss.Progress(client.Upload)
		uns := r.Unsynced()
		fmt.Fprintf(out, "  pending uploads: %d changesets, %d bytes unacknowledged (uploaded %d of %d bytes)", len(uns), r.UnackedBytes(), done, total)
		if len(uns) > 0 {
			vs := make([]string, len(uns))
			for i, cs := range uns {
				vs[i] = fmt.Sprintf("v%d:%d", cs.Version, len(cs.Instructions))
			}
			fmt.Fprintf(out, " [%s] (version:instructions)", strings.Join(vs, " "))
		}
		fmt.Fprintln(out)
		if ss.Resetting() {
			fmt.Fprintln(out, "  client reset under way")
		}
		if pr, ok := r.PendingReset(); ok {
			fmt.Fprintf(out, "  pending reset record: %+v\n", pr)
		}
		if e := ss.ResetRequired(); e != nil {
			fmt.Fprintf(out, "  client reset waiting for the app: %v\n", e)
		}
		if err := r.Err(); err != nil {
			fmt.Fprintf(out, "  replica broken: %v\n", err)
		}
		writeObjects(out, r.State())
	}
}

// writeObjects prints st's objects, indented, with their count.
func writeObjects(out io.Writer, st *store.State) {
	fmt.Fprintf(out, "  objects: %d\n", st.Size())
	for _, line := range strings.Split(strings.TrimRight(st.String(), "\n"), "\n") {
		if line != "" {
			fmt.Fprintf(out, "    %s\n", line)
		}
	}
}
