package main

import (
	"io"
	"os"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// progress shows how far a replay has read its trace, on standard error,
// only when that is a terminal: scripts and CI see nothing.
type progress struct {
	p   *mpb.Progress
	bar *mpb.Bar
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// newProgress returns a progress bar over total bytes of the trace name
// (total 0: unknown, e.g. standard input), or nil when stderr is not a
// terminal.
func newProgress(stderr io.Writer, name string, total int64) *progress {
	return newBar(stderr, total, decor.Name(name+" "), decor.CountersKibiByte("% .1f / % .1f"))
}

// newBar is a bar of total units with the given leading decorators and
// percentage and ETA after it, or nil when stderr is not a terminal.
func newBar(stderr io.Writer, total int64, lead ...decor.Decorator) *progress {
	if !isTerminal(stderr) {
		return nil
	}
	p := mpb.New(mpb.WithOutput(stderr), mpb.WithWidth(40))
	bar := p.AddBar(total, mpb.PrependDecorators(lead...),
		mpb.AppendDecorators(decor.Percentage(), decor.Name(" "), decor.AverageETA(decor.ET_STYLE_GO)))
	return &progress{p: p, bar: bar}
}

// reader wraps r so that reading advances the bar.
func (pr *progress) reader(r io.Reader) io.Reader {
	if pr == nil {
		return r
	}
	rc, err := pr.bar.ProxyReader(r)
	if err != nil {
		return r
	}
	return rc
}

// done completes the bar (or abandons it on failure) and waits for it to
// be drawn.
func (pr *progress) done(ok bool) {
	if pr == nil {
		return
	}
	if ok {
		pr.bar.SetTotal(-1, true)
	} else {
		pr.bar.Abort(true)
	}
	pr.p.Wait()
}
