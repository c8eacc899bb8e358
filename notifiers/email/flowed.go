package email

import "strings"

// unflow joins the soft line breaks of format=flowed text (RFC 3676), as
// Thunderbird and Apple Mail send it: a line ending in a space continues on
// the next line of the same quote depth; the signature line "-- " does not.
// With delSp the space before the break is removed. Space-stuffing is undone.
func unflow(text string, delSp bool) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var out []string
	open, openDepth := false, 0
	for _, raw := range lines {
		depth := len(raw) - len(strings.TrimLeft(raw, ">"))
		line := strings.TrimPrefix(raw[depth:], " ") // stuffing, or the space after '>'
		soft := strings.HasSuffix(line, " ") && line != "-- "
		if soft && delSp {
			line = line[:len(line)-1]
		}
		if open && depth == openDepth {
			out[len(out)-1] += line
		} else {
			out = append(out, strings.Repeat(">", depth)+quoteSpace(depth)+line)
		}
		open, openDepth = soft, depth
	}
	return strings.Join(out, "\n")
}

func quoteSpace(depth int) string {
	if depth > 0 {
		return " "
	}
	return ""
}
