package script

import (
	"errors"
	"strings"
)

// tokens splits a line into words: spaces separate them; a double-quoted
// string (Go syntax, with escapes) may be part of a word (title="a b");
// '#' outside quotes begins a comment.
func tokens(line string) ([]string, error) {
	var out []string
	var cur strings.Builder
	in := false
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case in:
			cur.WriteByte(c)
			if c == '\\' && i+1 < len(line) {
				i++
				cur.WriteByte(line[i])
			} else if c == '"' {
				in = false
			}
		case c == '"':
			in = true
			cur.WriteByte(c)
		case c == '#':
			flush()
			return out, nil
		case c == ' ' || c == '\t' || c == '\r':
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	if in {
		return nil, errors.New("a quoted string is not closed")
	}
	flush()
	return out, nil
}

// stripComment cuts a '#' comment off a header value (outside quotes).
func stripComment(s string) string {
	in := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case !in && c == '#':
			return s[:i]
		}
	}
	return s
}
