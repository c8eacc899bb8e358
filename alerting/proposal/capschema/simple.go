package capschema

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Lexical forms of the built-in types CAP uses (XML Schema 1.0, part 2).
var (
	dateTimeRE = regexp.MustCompile(`^(-?\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-](\d\d):(\d\d))?$`)
	languageRE = regexp.MustCompile(`^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$`)
	decimalRE  = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)$`)
	integerRE  = regexp.MustCompile(`^[+-]?\d+$`)
)

// check returns why v is not a value of t, or "" when it is.
func (t *simpleType) check(v string) string {
	if t.builtin != "string" {
		v = collapse(v) // every built-in but string collapses whitespace
	}
	var ok bool
	switch t.builtin {
	case "string", "anyURI": // anyURI: libxml2 escapes and accepts nearly anything too
		ok = true
	case "dateTime":
		ok = validDateTime(v)
	case "language":
		ok = languageRE.MatchString(v)
	case "decimal":
		ok = decimalRE.MatchString(v)
	case "integer":
		ok = integerRE.MatchString(v)
	}
	switch {
	case !ok:
		return fmt.Sprintf("%q is not a valid %s", v, t.builtin)
	case t.enum != nil && !slices.Contains(t.enum, v):
		return fmt.Sprintf("%q is not one of %s", v, strings.Join(t.enum, ", "))
	case t.pattern != nil && !t.pattern.MatchString(v):
		return fmt.Sprintf("%q does not match the CAP form %s", v, t.patternText)
	}
	return ""
}

// collapse applies XSD whitespace "collapse".
func collapse(v string) string { return strings.Join(strings.Fields(v), " ") }

// validDateTime checks an xs:dateTime, ranges included (no 30 February).
func validDateTime(v string) bool {
	m := dateTimeRE.FindStringSubmatch(v)
	if m == nil {
		return false
	}
	n := func(i int) int { x, _ := strconv.Atoi(m[i]); return x }
	year, month, day, hour, minute, sec := n(1), n(2), n(3), n(4), n(5), n(6)
	switch {
	case year == 0 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month):
		return false
	case minute > 59 || sec > 59 || hour > 24 || (hour == 24 && (minute != 0 || sec != 0 || strings.Trim(m[7], ".0") != "")):
		return false
	case m[9] != "" && (n(10) > 59 || n(9)*60+n(10) > 14*60):
		return false
	}
	return true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
