// Package workload holds the client processes of the simulated worlds:
// what each client writes, reads and waits for. Sync is the engine's
// workload (clients of a sync server writing to one shared realm, through
// client resets, to convergence at the end); PingEcho is the toy workload
// that exercises the kernel. Their processes implement the targets of
// sim/faults, and record what they do through sim/observe; sim/scenarios
// assembles worlds from the three.
package workload
