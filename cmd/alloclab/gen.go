package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"alloclab/workloads"
)

type genOpts struct {
	set  []string
	seed uint64
	out  string
}

func addGenFlags(cmd *cobra.Command, o *genOpts) {
	f := cmd.Flags()
	f.StringArrayVar(&o.set, "set", nil, "override a scenario parameter, KEY=VALUE (repeatable; see 'alloclab scenarios')")
	f.Uint64Var(&o.seed, "seed", 1, "random seed: the same seed and parameters give the same trace")
}

// writeGenerated writes the ops of g to w.
func writeGenerated(g *workloads.Generator, w workloads.OpWriter) error {
	for g.Scan() {
		if err := w.Write(g.Op()); err != nil {
			return err
		}
	}
	return g.Err()
}

// generateTo writes scenario's trace to path (binary for .altr/.altr.gz,
// gzip for .gz, else text).
func generateTo(scenario string, o *genOpts, path string) error {
	g, _, err := workloads.NewScenarioGenerator(scenario, o.seed, o.set)
	if err != nil {
		return userErr(err)
	}
	w, tf, err := workloads.CreateTrace(path, workloads.IsBinaryTraceName(path))
	if err != nil {
		return err
	}
	if err := writeGenerated(g, w); err != nil {
		tf.Abort()
		return err
	}
	return tf.Close()
}

func newGenCmd() *cobra.Command {
	var o genOpts
	cmd := &cobra.Command{
		Use:   "gen [flags] SCENARIO",
		Short: "Generate a trace of a named scenario (see 'alloclab scenarios')",
		Long: `Generate an alloclab-trace 1 of a named scenario, deterministically from --seed.
Parameters are overridden with --set KEY=VALUE ('alloclab scenarios' lists them).
With -o FILE the trace is written to FILE: binary (ALTR) when FILE ends in
.altr or .altr.gz, gzip-compressed when it ends in .gz, else text; without -o
text goes to standard output. Unknown scenarios, parameters and bad values
exit with status 2.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.out != "" && o.out != "-" {
				return generateTo(args[0], &o, o.out)
			}
			g, _, err := workloads.NewScenarioGenerator(args[0], o.seed, o.set)
			if err != nil {
				return userErr(err)
			}
			w := workloads.NewWriter(cmd.OutOrStdout())
			if err := writeGenerated(g, w); err != nil {
				return err
			}
			return w.Flush()
		},
	}
	addGenFlags(cmd, &o)
	cmd.Flags().StringVarP(&o.out, "output", "o", "", "write the trace to FILE (.altr: binary, .gz: gzip) instead of standard output")
	return cmd
}

func newRunCmd() *cobra.Command {
	var o genOpts
	var r replayOpts
	cmd := &cobra.Command{
		Use:   "run [flags] SCENARIO",
		Short: "Generate a scenario's trace and replay it in one step",
		Long: `Generate a named scenario's trace (as 'alloclab gen') into a temporary file and
replay it (as 'alloclab replay'). --schedulers also sets the scenario's
'schedulers' parameter unless --set gives it.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set := o.set
			if cmd.Flags().Changed("schedulers") {
				given := false
				for _, kv := range set {
					if k, _, err := workloads.ParseSet(kv); err == nil && k == "schedulers" {
						given = true
					}
				}
				if !given {
					set = append([]string{"schedulers=" + strconv.Itoa(r.schedulers)}, set...)
				}
			}
			go2 := o
			go2.set = set
			dir, err := os.MkdirTemp("", "alloclab-run-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			path := filepath.Join(dir, args[0]+".altr")
			if err := generateTo(args[0], &go2, path); err != nil {
				return err
			}
			return runReplay(cmd, path, &r)
		},
	}
	addGenFlags(cmd, &o)
	addReplayFlags(cmd.Flags(), &r, "default: the scenario's")
	return cmd
}

func newScenariosCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "scenarios",
		Short: "List the named scenarios of 'alloclab gen' and 'alloclab run' with their parameters",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			for i, sc := range workloads.Scenarios() {
				if i > 0 {
					fmt.Fprintln(out)
				}
				fmt.Fprintf(out, "%s\n  %s\n", sc.Name, sc.Doc)
				tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
				for _, p := range sc.Params {
					fmt.Fprintf(tw, "    %s\t%s\t%s\n", p.Name, p.Default, p.Doc)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
			}
			fmt.Fprintln(out, "\nOverride with --set KEY=VALUE, e.g. alloclab gen peak-drop --set peak=5000 --set survive=0.1")
			return nil
		},
	}
}
