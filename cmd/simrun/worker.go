package main

// Worker processes: a campaign survives its worst seed.
//
// simrun run starts --parallel workers, each the simrun binary itself
// (os.Executable) with the hidden subcommand "worker", and speaks JSON
// lines with it: the parent writes a workRequest per line on the worker's
// stdin, the worker runs and judges that seed and writes a workReply per
// line on its stdout; a worker serves seeds until its stdin closes. A
// seed that kills its worker (a fatal out-of-memory error, which recover
// cannot catch, or the worker's own memory watchdog) is that seed's crash;
// one that overruns --seed-timeout (an infinite loop inside one event) is
// its timeout: the parent kills the worker, records the seed with its
// configuration and the command that runs it again, and starts a new
// worker for the next seed.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/syncsim/syncsim/reports"
	"github.com/syncsim/syncsim/sim/scenarios"
)

// exitOutOfMemory is the worker's exit code when its memory watchdog
// finds the heap above --memory.
const exitOutOfMemory = 86

// faultEnv is a TEST-ONLY hook: a comma-separated list of ACTION@SEED,
// ACTION one of crash (the worker exits at once), hang (it never answers)
// or oom (it allocates until its memory watchdog stops it), applied by
// the worker when it is given that seed. It exists so that tests can show
// a campaign surviving a worker that dies or hangs mid-seed; nothing else
// sets it.
const faultEnv = "SIMRUN_TEST_WORKER_FAULT"

type workRequest struct {
	Seed    uint64 `json:"seed"`
	Recheck bool   `json:"recheck,omitempty"`
}

type workReply struct {
	Result reports.SeedResult `json:"result"`
	// Second is the second run's trace hash, for a recheck.
	Second string `json:"second,omitempty"`
}

// workerArgs are the flags a worker is started with.
func (c campaign) workerArgs(memory int64) []string {
	return []string{"worker", "--scenario", c.sc.Name, "--mutant", strings.Join(c.mutants, ","),
		"--out", c.out, "--keep-traces=" + strconv.FormatBool(c.keep), "--views=" + strconv.FormatBool(c.views),
		"--memory", strconv.FormatInt(memory, 10)}
}

// cmdWorker is the hidden "worker" subcommand.
func cmdWorker(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	scenario := fs.String("scenario", "", "")
	muts := fs.String("mutant", "", "")
	out := fs.String("out", "", "")
	keep := fs.Bool("keep-traces", false, "")
	views := fs.Bool("views", true, "")
	memory := fs.Int64("memory", 0, "")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	sc, err := scenarios.Resolve(*scenario)
	if err != nil {
		return fmt.Errorf("%w: worker: %w", errUsage, err)
	}
	names, err := parseMutants(*muts)
	if err != nil {
		return err
	}
	// The parent decides what Ctrl-C means; the worker, in the same
	// process group, must not die of it first.
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM)
	if *memory > 0 {
		debug.SetMemoryLimit(*memory)
		go watchMemory(*memory, stderr)
	}
	faults := parseFaults(os.Getenv(faultEnv))
	c := campaign{sc: sc, out: *out, keep: *keep, views: *views, mutants: names}
	in := bufio.NewScanner(stdin)
	enc := json.NewEncoder(stdout)
	for in.Scan() {
		var req workRequest
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			return fmt.Errorf("%w: worker: bad request %q: %w", errUsage, in.Text(), err)
		}
		switch faults[req.Seed] {
		case "crash":
			fmt.Fprintf(stderr, "simrun worker: test hook %s: crashing on seed %d\n", faultEnv, req.Seed)
			os.Exit(3)
		case "hang":
			select {}
		case "oom":
			var hog [][]byte
			for {
				hog = append(hog, make([]byte, 1<<20))
				hog[len(hog)-1][0] = 1
			}
		}
		r, second := c.runSeed(req.Seed, req.Recheck)
		if err := enc.Encode(workReply{Result: r, Second: second}); err != nil {
			return fmt.Errorf("worker: answering for seed %d: %w", req.Seed, err)
		}
	}
	return in.Err()
}

// parseFaults reads the test-only hook's value.
func parseFaults(s string) map[uint64]string {
	m := map[uint64]string{}
	for _, f := range strings.Split(s, ",") {
		action, seed, ok := strings.Cut(strings.TrimSpace(f), "@")
		if n, err := strconv.ParseUint(seed, 10, 64); ok && err == nil {
			m[n] = action
		}
	}
	return m
}

// watchMemory ends the worker with exitOutOfMemory when the heap grows
// past limit: debug.SetMemoryLimit is only a soft limit (the GC works
// harder, but a runaway seed's live heap grows all the same), and the Go
// runtime's own out-of-memory death comes only when the machine is out.
// RLIMIT_AS (setrlimit) was tried and not used: it limits virtual address
// space, which the Go runtime reserves well beyond its heap (under a 256MiB
// RLIMIT_AS it cannot start: "failed to reserve page summary memory"), so
// the limit would have to be guessed far above the heap it is meant to
// bound; when it does bite, the worker dies with "fatal error: runtime:
// out of memory", which the parent records as a crash all the same.
func watchMemory(limit int64, stderr io.Writer) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	for range time.Tick(20 * time.Millisecond) {
		metrics.Read(sample)
		if v := sample[0].Value; v.Kind() == metrics.KindUint64 && v.Uint64() > uint64(limit) {
			fmt.Fprintf(stderr, "simrun worker: heap %d bytes exceeds the memory limit of %d bytes\n", v.Uint64(), limit)
			os.Exit(exitOutOfMemory)
		}
	}
}

// worker is the parent's handle on one worker process.
type worker struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	replies chan []byte // closed when the worker's stdout ends
	stderr  *tail
	exited  chan struct{} // closed when the process has been waited for
	waitErr error
}

// startWorker starts a worker process.
func startWorker(exe string, args []string) (*worker, error) {
	w := &worker{cmd: exec.Command(exe, args...), replies: make(chan []byte), stderr: &tail{max: 4096}, exited: make(chan struct{})}
	w.cmd.Stderr = w.stderr
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // the parent's death ends its workers
	var err error
	if w.in, err = w.cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("starting a worker: %w", err)
	}
	out, err := w.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("starting a worker: %w", err)
	}
	if err := w.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting a worker (%s): %w", exe, err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 64<<20)
		for sc.Scan() {
			w.replies <- append([]byte(nil), sc.Bytes()...)
		}
		close(w.replies)
		w.waitErr = w.cmd.Wait()
		close(w.exited)
	}()
	return w, nil
}

// kill ends the worker and waits for it.
func (w *worker) kill() {
	_ = w.cmd.Process.Kill()
	w.in.Close()
	for range w.replies {
	}
	<-w.exited
}

// stop closes the worker's stdin, which ends it, and waits for it.
func (w *worker) stop() {
	w.in.Close()
	for range w.replies {
	}
	<-w.exited
}

// errWorkerDied is a worker that ended without answering.
var errWorkerDied = errors.New("the worker died")

// errSeedTimeout is a seed that overran its wall-clock limit.
var errSeedTimeout = errors.New("the seed overran its wall-clock limit")

// do sends a seed to the worker and waits for its reply, at most timeout.
// On errWorkerDied and errSeedTimeout the worker is gone (killed if need
// be); the caller starts another.
func (w *worker) do(ctx context.Context, req workRequest, timeout time.Duration, memory int64) (workReply, error) {
	var rep workReply
	b, _ := json.Marshal(req)
	if _, err := w.in.Write(append(b, '\n')); err != nil {
		w.kill()
		return rep, fmt.Errorf("%w: sending seed %d: %w%s", errWorkerDied, req.Seed, err, w.stderr.says())
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case line, ok := <-w.replies:
		if !ok {
			<-w.exited
			return rep, fmt.Errorf("%w: %s%s", errWorkerDied, exitText(w.waitErr, memory), w.stderr.says())
		}
		if err := json.Unmarshal(line, &rep); err != nil {
			w.kill()
			return rep, fmt.Errorf("%w: its answer for seed %d is not readable: %w", errWorkerDied, req.Seed, err)
		}
		return rep, nil
	case <-t.C:
		w.kill()
		return rep, fmt.Errorf("%w of %v: the worker was killed", errSeedTimeout, timeout)
	case <-ctx.Done():
		w.kill()
		return rep, ctx.Err()
	}
}

// exitText says how a worker ended.
func exitText(err error, memory int64) string {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		if err == nil {
			return "it exited with status 0 without answering"
		}
		return err.Error()
	}
	if st, ok := ee.Sys().(syscall.WaitStatus); ok {
		switch {
		case st.Signaled():
			return fmt.Sprintf("killed by signal %v", st.Signal())
		case st.ExitStatus() == exitOutOfMemory:
			return fmt.Sprintf("out of memory: its heap passed the worker's limit of %s (--worker-memory)", formatBytes(memory))
		case st.ExitStatus() == 2:
			return "exit status 2 (a Go runtime fatal error, e.g. out of memory, or a panic outside the world)"
		}
	}
	return ee.Error()
}

// tail keeps the first and the last max bytes written to it (a Go fatal
// error says what it was at the top of a long stack dump).
type tail struct {
	mu   sync.Mutex
	max  int
	head []byte
	b    []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := min(t.max-len(t.head), len(p)); n > 0 {
		t.head = append(t.head, p[:n]...)
	}
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

// says is the worker's last stderr line, ": LINE", or "".
func (t *tail) says() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.b))
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	// A Go fatal error's first line says what it was; a panic's too.
	for _, l := range strings.Split(string(t.head), "\n") {
		if strings.HasPrefix(l, "fatal error:") || strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "runtime:") {
			return "; it said: " + strings.TrimSpace(l)
		}
	}
	return "; it said: " + strings.TrimSpace(lines[len(lines)-1])
}

// parseBytes reads a size: a whole number of bytes with an optional unit
// (KiB, MiB, GiB, TiB, or KB, MB, GB, TB in powers of 1000).
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	num, mult := s, int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 1 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q: want a size such as 4GiB or 512MiB", s)
	}
	return n * mult, nil
}

func formatBytes(n int64) string {
	switch {
	case n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
