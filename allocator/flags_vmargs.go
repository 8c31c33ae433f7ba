package allocator

import (
	"io"
)

// ParseVMArgs reads a vm.args-style file (erl -args_file): flags separated by
// blanks and newlines, any number per line, a flag's value may even be on the
// next line. It splits words the way erlexec's args-file reader does
// (verified on erl 25.2.3 with -args_file):
//   - '#' starts a comment up to the end of the line, also right after a word
//     ("+MBsbct 100#x" is +MBsbct 100);
//   - "..." and '...' quote (blanks and '#' inside are kept, the quotes go),
//     and a backslash takes the next character literally;
//   - a NUL byte ends the file.
//
// The +M flags are parsed as ParseFlags parses them (and refused the same
// way, with a *FlagError carrying name and the line of the flag). Every other
// word (e.g. "+S", "2", "-name", "x", "-args_file", "f") is kept verbatim, in
// order, in Flags.Other for the caller to interpret; nested -args_file
// files are not read. Words after -extra are plain arguments for init, not
// emulator flags (erlexec stops there), so they go to Other unparsed,
// "-extra" included.
func ParseVMArgs(r io.Reader, name string) (*Flags, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &FlagError{Flag: name, Rule: "cannot read: " + err.Error(), File: name}
	}
	toks, lines := flagSplitArgs(string(data))
	p := flagParser{f: &Flags{}, lines: lines, file: name, presetAt: -1}
	for i := 0; i < len(toks); {
		tok := toks[i]
		switch {
		case tok == "-extra":
			p.f.Other = append(p.f.Other, toks[i:]...)
			i = len(toks)
		case len(tok) >= 2 && tok[0] == '+' && tok[1] == 'M':
			next, err := p.token(toks, i)
			if err != nil {
				return nil, err
			}
			i = next
		default:
			p.f.Other = append(p.f.Other, tok)
			i++
		}
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	return p.f, nil
}

// flagSplitArgs splits an args file into words like erlexec's
// build_args_from_string with comments allowed, returning each word's line
// (1-based, the line where the word starts).
func flagSplitArgs(s string) (words []string, lines []int) {
	line := 1
	i := 0
	for {
		// Between words: skip blanks and comments.
		for i < len(s) {
			c := s[i]
			if c == '#' {
				for i < len(s) && s[i] != '\n' && s[i] != 0 {
					i++
				}
				continue
			}
			if c == '\n' {
				line++
			} else if !flagArgBlank(c) {
				break
			}
			i++
		}
		if i >= len(s) || s[i] == 0 {
			return words, lines
		}
		start := line
		var w []byte
	word:
		for i < len(s) {
			c := s[i]
			switch {
			case c == 0:
				break word
			case c == '#' || flagArgBlank(c) || c == '\n':
				break word
			case c == '"' || c == '\'':
				i++
				for i < len(s) && s[i] != c && s[i] != 0 {
					if s[i] == '\n' {
						line++
					}
					w = append(w, s[i])
					i++
				}
				if i < len(s) && s[i] == c {
					i++
				}
			case c == '\\':
				i++
				if i < len(s) && s[i] != 0 {
					if s[i] == '\n' {
						line++
					}
					w = append(w, s[i])
					i++
				}
			default:
				w = append(w, c)
				i++
			}
		}
		words = append(words, string(w))
		lines = append(lines, start)
	}
}

// flagArgBlank: erlexec's word separators other than '\n' (handled apart to
// count lines).
func flagArgBlank(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\v', '\f':
		return true
	}
	return false
}
