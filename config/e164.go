package config

import (
	"regexp"
	"strings"

	"github.com/nyaruka/phonenumbers"
	"google.golang.org/protobuf/proto"
)

// parseE164 replaces phonenumbers.Parse for numbers written as +<digits> (cost:
// docs/BENCHMARKS.md); ok=false wherever Parse could read the number otherwise
// (unknown country code, leading zero, national prefix). Equivalence: TestParseE164MatchesParse.
func (m *mobileNormaliser) parseE164(raw string) (*phonenumbers.PhoneNumber, string, bool) {
	if len(raw) < 9 || len(raw) > 16 || raw[0] != '+' {
		return nil, "", false
	}
	for i := 1; i < len(raw); i++ {
		if raw[i] < '0' || raw[i] > '9' {
			return nil, "", false
		}
	}
	digits := raw[1:]
	if digits[0] == '0' {
		return nil, "", false // no country code starts with 0; Parse says what is wrong
	}
	for ccLen := 1; ccLen <= 3; ccLen++ {
		cc := atoiDigits(digits[:ccLen])
		region := phonenumbers.GetRegionCodeForCountryCode(cc)
		if region == "ZZ" {
			continue
		}
		national := digits[ccLen:]
		if national[0] == '0' || m.nationalPrefixMatches(cc, national) {
			return nil, "", false
		}
		n := &phonenumbers.PhoneNumber{CountryCode: proto.Int32(int32(cc)), NationalNumber: proto.Uint64(uint64(atoiDigits(national)))}
		return n, raw, true
	}
	return nil, "", false
}

func atoiDigits(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v
}

// newMobileNormaliser compiles every country's national-prefix pattern
// (about a millisecond; once per load).
func newMobileNormaliser() *mobileNormaliser {
	mc, err := phonenumbers.MetadataCollection()
	if err != nil {
		return &mobileNormaliser{types: newNumberTypes()} // every number then takes the slow path
	}
	// Several regions share a code (+1, +7): any of their patterns sends a
	// number the slow way.
	patterns := map[int][]string{}
	for _, m := range mc.GetMetadata() {
		cc := int(m.GetCountryCode())
		if _, seen := patterns[cc]; !seen {
			patterns[cc] = nil // known code; nil: no national prefix so far
		}
		if p := m.GetNationalPrefixForParsing(); p != "" {
			patterns[cc] = append(patterns[cc], "(?:"+p+")")
		}
	}
	out := make(map[int]*regexp.Regexp, len(patterns))
	for cc, ps := range patterns {
		out[cc] = nil
		if len(ps) > 0 {
			re, err := regexp.Compile("^(?:" + strings.Join(ps, "|") + ")")
			if err != nil {
				delete(out, cc) // unknown to the fast path: Parse decides
				continue
			}
			out[cc] = re
		}
	}
	return &mobileNormaliser{prefixes: out, types: newNumberTypes()}
}

func (m *mobileNormaliser) nationalPrefixMatches(cc int, national string) bool {
	re, known := m.prefixes[cc]
	if !known {
		return true // no metadata at hand: let Parse decide
	}
	return re != nil && re.MatchString(national)
}
