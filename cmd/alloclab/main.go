// Command alloclab simulates the Erlang runtime's memory allocators
// (erts_alloc, OTP 25) and replays allocation traces on them.
//
//	alloclab replay --single --layout TRACE
//
// Exit status: 0 success, 2 bad input (malformed trace, unknown flag, bad
// option), 1 anything else. On failure nothing is written to standard
// output and the reason goes to standard error as "file:line: message"
// where there is a file.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// usageError marks errors that are the user's input: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func userErr(err error) error { return usageError{err} }

func userErrorf(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// run is the whole command line, testable in-process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := &cobra.Command{
		Use:   "alloclab",
		Short: "Simulate the Erlang runtime's memory allocators (erts_alloc, OTP 25)",
		Long: `alloclab replays allocation traces on a byte-exact model of the Erlang
runtime's memory allocators (erts_alloc and alloc_util, OTP 25): carriers,
blocks, the ten allocation strategies, mseg_alloc and its segment cache,
sys_alloc and the super carrier.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return userErr(err) })
	root.AddCommand(newReplayCmd())
	root.AddCommand(newFlagsCmd())
	root.AddCommand(newConvertCmd())
	root.AddCommand(newGenCmd())
	root.AddCommand(newRunCmd())
	root.AddCommand(newScenariosCmd())
	root.AddCommand(newCompareCmd())
	root.AddCommand(newLeakCmd())
	// cobra reports unknown commands and bad arguments as plain errors;
	// they are all usage errors.
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "alloclab: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) || cmd == root || isArgError(err) {
		return 2
	}
	return 1
}

func isArgError(err error) bool {
	var ae argError
	return errors.As(err, &ae)
}

// argError wraps cobra's positional-argument validation errors.
type argError struct{ error }

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return argError{err}
		}
		return nil
	}
}
