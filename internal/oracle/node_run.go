package oracle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// NodeOpts are the options of ../shared/oracle/node (its README, "Node
// mode", "Usage"). The zero value replays the whole trace with the trace's
// own @ schedulers (else 2) and @ flags and prints absolute I lines.
type NodeOpts struct {
	Delta        bool     // --delta: D lines, after the replay minus just before it (same node)
	Settle       bool     // --settle: apply every delayed deallocation before each run
	Repro        bool     // --repro: --settle plus mseg in a super carrier without cache
	Schedulers   int      // --schedulers N (+S N); 0: the trace's '@ schedulers', else 2
	Erl          string   // --erl "FLAGS": extra emulator flags, after the trace's '@ flags' (they win); not +S
	NoTraceFlags bool     // --no-trace-flags: ignore the trace's '@ flags'
	HonourTime   bool     // --honour-time: sleep so that operations happen at their 't' time
	Types        []string // --types: allocator types to report (binary_alloc, driver_alloc); nil: the trace's
	Ops          int      // --ops N: replay only the first N records (a/r/f/t) when N > 0; 0: all
	BootAll      bool     // --boot-all: boot with all schedulers online
	Baseline     bool     // --baseline: the same node setup, nothing replayed (the trace, if any, only for its @ lines and types)
	Time         bool     // --time: record count and timings on stderr (NodeReport.Stderr)

	// Timeout kills the oracle (the node script and its emulator) after
	// this long; 0 means 5 minutes.
	Timeout time.Duration
}

// Args returns the node command line for trace (without the command).
func (o NodeOpts) Args(trace string) []string {
	var a []string
	if o.Baseline {
		a = append(a, "--baseline")
	}
	if trace != "" {
		a = append(a, trace)
	}
	flag := func(on bool, name string) {
		if on {
			a = append(a, name)
		}
	}
	flag(o.Delta, "--delta")
	flag(o.Settle, "--settle")
	flag(o.Repro, "--repro")
	if o.Schedulers > 0 {
		a = append(a, "--schedulers", strconv.Itoa(o.Schedulers))
	}
	if strings.TrimSpace(o.Erl) != "" {
		a = append(a, "--erl", o.Erl)
	}
	flag(o.NoTraceFlags, "--no-trace-flags")
	flag(o.HonourTime, "--honour-time")
	if len(o.Types) > 0 {
		a = append(a, "--types", strings.Join(o.Types, ","))
	}
	if o.Ops > 0 {
		a = append(a, "--ops", strconv.Itoa(o.Ops))
	}
	flag(o.BootAll, "--boot-all")
	flag(o.Time, "--time")
	return a
}

// NodeError is a failed node run. ExitCode is the script's status: 1 bad
// trace (Stderr names file:line), 2 usage or flag error (also flags the
// emulator refused), 3 oracle failure (build, calibration, node not quiet,
// internal); -1 when it did not exit normally (killed, timeout).
type NodeError struct {
	Args     []string
	ExitCode int
	Stderr   string
	Err      error
}

func (e *NodeError) Error() string {
	what := map[int]string{1: "bad trace", 2: "usage or flag error", 3: "oracle failure"}[e.ExitCode]
	msg := strings.TrimSpace(e.Stderr)
	if len(msg) > 2000 {
		msg = msg[:2000] + "..."
	}
	s := fmt.Sprintf("oracle node %s: %v", strings.Join(e.Args, " "), e.Err)
	if what != "" {
		s += " (" + what + ")"
	}
	if msg != "" {
		s += ": " + msg
	}
	return s
}

func (e *NodeError) Unwrap() error { return e.Err }

// NodeAvailable reports why node mode cannot run here, or nil: what
// Available checks, plus the node script, gcc and erl_nif.h (ERL_ROOT, else
// /usr/lib/erlang).
func NodeAvailable() error {
	if err := Available(); err != nil {
		return err
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		return errors.New("gcc not found on PATH (node mode builds a NIF)")
	}
	dir, err := Dir()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "node")); err != nil {
		return fmt.Errorf("oracle node script not found: %v", err)
	}
	root := os.Getenv("ERL_ROOT")
	if root == "" {
		root = "/usr/lib/erlang"
	}
	if _, err := os.Stat(filepath.Join(root, "usr", "include", "erl_nif.h")); err != nil {
		return fmt.Errorf("erl_nif.h not found in %s/usr/include (install erlang-dev, or set ERL_ROOT)", root)
	}
	return nil
}

// RunNode runs ../shared/oracle/node on trace with opts and parses the
// report it prints. trace may be "" with opts.Baseline. A failure of the
// script is a *NodeError; a report that does not parse is a
// *NodeParseError (wrapped). Runs are slow (≈ 0.6 s plus the replay, more
// on the first run, which builds the NIF) and use the whole machine's
// schedulers: do not run several at once when measuring noise.
func RunNode(trace string, opts NodeOpts) (*NodeReport, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	if trace == "" && !opts.Baseline {
		return nil, errors.New("oracle node: no trace (only --baseline runs without one)")
	}
	args := opts.Args(trace)
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(dir, "node"), args...)
	setProcessGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	elapsed := time.Since(start)
	if err != nil {
		code := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.Exited() {
			code = ee.ExitCode()
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("%w after %v", ctx.Err(), timeout)
		}
		return nil, &NodeError{Args: args, ExitCode: code, Stderr: stderr.String(), Err: err}
	}
	r, err := ParseNodeReport(stdout.Bytes())
	if err != nil {
		return nil, fmt.Errorf("oracle node %s: %w", strings.Join(args, " "), err)
	}
	r.Stderr = stderr.String()
	r.Elapsed = elapsed
	return r, nil
}
