// Package oracle runs ../shared/oracle — the real OTP 25 allocator driven
// through the runtime's test hook — for alloclab's differential tests. It
// replays many traces in one emulator (alloclab_oracle_batch.erl) using the
// oracle's own NIF and emulator flags, so a test can compare hundreds of
// layouts in seconds.
package oracle

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// Dir finds the oracle directory: $ALLOCLAB_ORACLE, or shared/oracle beside
// the repository (../shared/oracle from the module root).
func Dir() (string, error) {
	if d := os.Getenv("ALLOCLAB_ORACLE"); d != "" {
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			o := filepath.Join(filepath.Dir(d), "shared", "oracle")
			if _, err := os.Stat(filepath.Join(o, "run")); err != nil {
				return "", fmt.Errorf("oracle not found at %s", o)
			}
			return o, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("go.mod not found above " + wd)
		}
	}
}

// Available reports why the oracle cannot run here, or nil.
func Available() error {
	if _, err := exec.LookPath("erl"); err != nil {
		return fmt.Errorf("erl not found on PATH (install erlang-base erlang-dev gcc)")
	}
	if _, err := exec.LookPath("erlc"); err != nil {
		return fmt.Errorf("erlc not found on PATH")
	}
	_, err := Dir()
	return err
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// build compiles the oracle (through its own run script, into a cache
// directory of ours) and the batch module; it returns the directory holding
// oracle_nif.so, oracle.beam and alloclab_oracle_batch.beam.
func build() (string, error) {
	buildOnce.Do(func() {
		dir, err := Dir()
		if err != nil {
			buildErr = err
			return
		}
		cache, err := os.MkdirTemp("", "alloclab-oracle-")
		if err != nil {
			buildErr = err
			return
		}
		tr := filepath.Join(cache, "empty.trace")
		os.WriteFile(tr, []byte("alloclab-trace 1\n"), 0o644)
		cmd := exec.Command(filepath.Join(dir, "run"), tr)
		cmd.Env = append(os.Environ(), "ALLOCLAB_ORACLE_CACHE="+cache)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("oracle run: %v: %s", err, out)
			return
		}
		ents, _ := filepath.Glob(filepath.Join(cache, "*", ".ok"))
		if len(ents) != 1 {
			buildErr = fmt.Errorf("oracle build dir not found in %s", cache)
			return
		}
		bd := filepath.Dir(ents[0])
		src, err := filepath.Abs("alloclab_oracle_batch.erl")
		if err == nil {
			_, err = os.Stat(src)
		}
		if err != nil {
			src = filepath.Join(moduleRoot(), "internal", "oracle", "alloclab_oracle_batch.erl")
		}
		if out, err := exec.Command("erlc", "-o", bd, src).CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("erlc: %v: %s", err, out)
			return
		}
		buildDir = bd
	})
	return buildDir, buildErr
}

func moduleRoot() string {
	wd, _ := os.Getwd()
	for d := wd; filepath.Dir(d) != d; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	return wd
}

// Job is one replay: a trace file and the test allocator's options as the
// oracle takes them (-tPARAM VALUE pairs, e.g. "-tas", "bf").
type Job struct {
	Trace string
	Opts  []string
}

// Result is what the oracle printed for one job.
type Result struct {
	// Layout is the "alloclab-layout 1" text, or a line "error: LINE: MSG"
	// when the oracle rejected the trace or the allocator returned NULL.
	Layout []byte
	// Info is the allocator's own report (erts_alcu_info text, the
	// oracle's --info) after the replay, or nil after an error.
	Info []byte
}

// Run replays jobs in one emulator with the mseg cache size mcs (+MMmcs)
// and returns each job's layout ("alloclab-layout 1" text), or a line
// "error: LINE: MSG" when the oracle rejected the trace or the allocator
// returned NULL. With mcs > 0 every job gets its own emulator, since cached
// segments would outlive a job.
func Run(jobs []Job, mcs int) ([][]byte, error) {
	rs, err := RunInfo(jobs, mcs)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(rs))
	for i, r := range rs {
		out[i] = r.Layout
	}
	return out, nil
}

// RunInfo is Run, returning the allocator's own report too.
func RunInfo(jobs []Job, mcs int) ([]Result, error) {
	if mcs > 0 && len(jobs) > 1 {
		var out []Result
		for _, j := range jobs {
			r, err := RunInfo([]Job{j}, mcs)
			if err != nil {
				return nil, err
			}
			out = append(out, r[0])
		}
		return out, nil
	}
	bd, err := build()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "alloclab-batch-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	var jf bytes.Buffer
	outs := make([]string, len(jobs))
	for i, j := range jobs {
		outs[i] = filepath.Join(tmp, strconv.Itoa(i)+".layout")
		tr, err := filepath.Abs(j.Trace)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&jf, "%s\t%s", outs[i], tr)
		for _, o := range j.Opts {
			fmt.Fprintf(&jf, "\t%s", o)
		}
		jf.WriteByte('\n')
	}
	jobFile := filepath.Join(tmp, "jobs")
	if err := os.WriteFile(jobFile, jf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	// The emulator flags of ../shared/oracle/run ("Emulator flags").
	cmd := exec.Command("erl", "-noshell", "-noinput", "-boot", "no_dot_erlang",
		"+S", "1", "+Mea", "min", "+Musac", "false",
		"+MMscs", "16384", "+MMsco", "true", "+MMscrpm", "false", "+MMmcs", strconv.Itoa(mcs),
		"-pa", bd, "-s", "alloclab_oracle_batch", "main", "-extra", jobFile)
	var env []string
	for _, e := range os.Environ() {
		k, _, _ := strings.Cut(e, "=")
		switch k {
		case "ERL_FLAGS", "ERL_AFLAGS", "ERL_ZFLAGS", "ERL_LIBS":
			continue
		}
		env = append(env, e)
	}
	cmd.Env = append(env, "ERL_CRASH_DUMP_SECONDS=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("oracle batch: %v: %s", err, out)
	}
	res := make([]Result, len(jobs))
	for i, o := range outs {
		if res[i].Layout, err = os.ReadFile(o); err != nil {
			return nil, err
		}
		if info, err := os.ReadFile(o + ".info"); err == nil {
			res[i].Info = info
		}
	}
	return res, nil
}
