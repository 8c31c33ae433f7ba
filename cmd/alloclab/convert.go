package main

import (
	"bytes"
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"alloclab/workloads"
)

func newConvertCmd() *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "convert [--to text|binary] IN OUT",
		Short: "Convert a trace between text (alloclab-trace 1) and binary, gzipped or not",
		Long: `Convert a trace between the text form (alloclab-trace 1) and the binary
form (workloads/BINARY-FORMAT.md).

IN ('-' for standard input) may be either form, gzipped or not: both are
recognized by their first bytes. OUT ('-' for standard output) is gzipped
if its name ends in ".gz", and written in the form given by --to, else
binary for a name ending in ".altr" or ".altr.gz", text for one ending in
".trace", ".txt" (with or without ".gz") and otherwise the form IN is not.
Standard output gets text unless --to binary.

The text written is canonical (what alloclab's trace writer writes):
comments and blank lines are dropped, directives and records kept, so
converting text to binary and back gives the canonical text of the input.

Errors (exit status 2): IN:RECORD: ... for a malformed input (the record
or line number), as alloclab replay reports them. Nothing is written on
failure: OUT is written to a temporary file beside it and renamed at the end.`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConvert(cmd, args[0], args[1], to)
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "output form: text or binary (default: by OUT's name)")
	return cmd
}

func runConvert(cmd *cobra.Command, in, out, to string) error {
	switch to {
	case "", "text", "binary":
	default:
		return userErrorf("--to %q: expected text or binary", to)
	}
	rd, closer, err := workloads.OpenTrace(in, cmd.InOrStdin())
	if err != nil {
		return userErr(err)
	}
	defer closer.Close()
	_, inBinary := rd.(*workloads.BinaryReader)
	binary := convertToBinary(out, to, inBinary)

	if out == "-" {
		// Standard output: all or nothing, so buffer it.
		var buf bytes.Buffer
		var w workloads.OpWriter
		if binary {
			w = workloads.NewBinaryWriter(&buf)
		} else {
			w = workloads.NewWriter(&buf)
		}
		if err := copyOps(rd, w); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		_, err := cmd.OutOrStdout().Write(buf.Bytes())
		return err
	}
	w, tf, err := workloads.CreateTrace(out, binary)
	if err != nil {
		return err
	}
	if err := copyOps(rd, w); err != nil {
		tf.Abort()
		return err
	}
	return tf.Close()
}

// convertToBinary decides OUT's form (see the command's help).
func convertToBinary(out, to string, inBinary bool) bool {
	switch {
	case to != "":
		return to == "binary"
	case out == "-":
		return false
	case workloads.IsBinaryTraceName(out):
		return true
	}
	base := strings.TrimSuffix(out, ".gz")
	if strings.HasSuffix(base, ".trace") || strings.HasSuffix(base, ".txt") {
		return false
	}
	return !inBinary
}

// copyOps writes every op of rd to w. A bad input is a user error (exit
// status 2), with its file:line.
func copyOps(rd workloads.OpReader, w workloads.OpWriter) error {
	for rd.Scan() {
		if err := w.Write(rd.Op()); err != nil {
			if errors.Is(err, workloads.ErrBadOp) {
				// Cannot happen for ops a reader accepted; say where.
				return userErrorf("%d: %v", rd.Op().Line, err)
			}
			return err
		}
	}
	if err := rd.Err(); err != nil {
		// A syntax error, or a read error (which for a file is almost
		// always corrupt gzip data): the input's fault either way.
		return userErr(err)
	}
	return nil
}
