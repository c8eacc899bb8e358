package config

import (
	"regexp"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// numberTypes replaces phonenumbers.GetNumberType (patterns compiled once per load, and only for the
// regions met: all of them cost 24 MB of allocations per load; equivalence: TestNumberTypesMatchLibrary).
type numberTypes struct {
	mu       sync.Mutex // numberType is called from several goroutines
	meta     map[string]*phonenumbers.PhoneMetadata
	nonGeoMD map[int]*phonenumbers.PhoneMetadata // country calling code → metadata of non-geographical entities (region "001")
	byRegion map[string]*typeMatcher
	nonGeo   map[int]*typeMatcher
}

// typeMatcher holds one region's number descriptions in the order
// getNumberTypeHelper tries them.
type typeMatcher struct {
	general, fixedLine, mobile descMatcher
	ordered                    []typedDesc // premium rate … voicemail
	sameMobileAndFixedLine     bool
}

type typedDesc struct {
	typ  phonenumbers.PhoneNumberType
	desc descMatcher
}

type descMatcher struct {
	lengths []int32
	re      *regexp.Regexp // nil: the pattern did not compile; never matches (the library's regexFor panics instead)
}

func newDescMatcher(d *phonenumbers.PhoneNumberDesc) descMatcher {
	re, _ := regexp.Compile("^(?:" + d.GetNationalNumberPattern() + ")$")
	return descMatcher{lengths: d.PossibleLength, re: re}
}

// matches mirrors the library's isNumberMatchingDesc (its two checks use
// the same pattern; one match suffices).
func (d descMatcher) matches(national string) bool {
	if len(d.lengths) > 0 {
		found := false
		for _, l := range d.lengths {
			if int32(len(national)) == l {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return d.re != nil && d.re.MatchString(national)
}

func newNumberTypes() *numberTypes {
	nt := &numberTypes{meta: map[string]*phonenumbers.PhoneMetadata{}, nonGeoMD: map[int]*phonenumbers.PhoneMetadata{},
		byRegion: map[string]*typeMatcher{}, nonGeo: map[int]*typeMatcher{}}
	mc, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nt // every number then goes to the library
	}
	for _, m := range mc.GetMetadata() {
		if m.GetId() == "001" {
			nt.nonGeoMD[int(m.GetCountryCode())] = m
		} else {
			nt.meta[m.GetId()] = m
		}
	}
	return nt
}

// matcher returns the compiled descriptions of a region (of a
// non-geographical entity's code when region is "001"), compiling them on
// first use; nil if there is no metadata for it.
func (nt *numberTypes) matcher(region string, code int) *typeMatcher {
	nt.mu.Lock()
	defer nt.mu.Unlock()
	if region == "001" {
		return cachedMatcher(nt.nonGeo, code, nt.nonGeoMD[code])
	}
	return cachedMatcher(nt.byRegion, region, nt.meta[region])
}

func cachedMatcher[K comparable](cache map[K]*typeMatcher, k K, md *phonenumbers.PhoneMetadata) *typeMatcher {
	tm, ok := cache[k]
	if !ok && md != nil {
		tm = newTypeMatcher(md)
		cache[k] = tm
	}
	return tm
}

func newTypeMatcher(m *phonenumbers.PhoneMetadata) *typeMatcher {
	tm := &typeMatcher{
		general: newDescMatcher(m.GetGeneralDesc()), fixedLine: newDescMatcher(m.GetFixedLine()), mobile: newDescMatcher(m.GetMobile()),
		sameMobileAndFixedLine: m.GetSameMobileAndFixedLinePattern(),
	}
	for _, td := range []struct {
		t phonenumbers.PhoneNumberType
		d *phonenumbers.PhoneNumberDesc
	}{
		{phonenumbers.PREMIUM_RATE, m.GetPremiumRate()}, {phonenumbers.TOLL_FREE, m.GetTollFree()},
		{phonenumbers.SHARED_COST, m.GetSharedCost()}, {phonenumbers.VOIP, m.GetVoip()},
		{phonenumbers.PERSONAL_NUMBER, m.GetPersonalNumber()}, {phonenumbers.PAGER, m.GetPager()},
		{phonenumbers.UAN, m.GetUan()}, {phonenumbers.VOICEMAIL, m.GetVoicemail()},
	} {
		tm.ordered = append(tm.ordered, typedDesc{td.t, newDescMatcher(td.d)})
	}
	return tm
}

// numberType returns what phonenumbers.GetNumberType(n) returns.
func (nt *numberTypes) numberType(n *phonenumbers.PhoneNumber) phonenumbers.PhoneNumberType {
	region := phonenumbers.GetRegionCodeForNumber(n)
	tm := nt.matcher(region, int(n.GetCountryCode()))
	if tm == nil {
		if region == "" || region == "ZZ" {
			return phonenumbers.UNKNOWN
		}
		return phonenumbers.GetNumberType(n) // not in our table: ask the library
	}
	national := phonenumbers.GetNationalSignificantNumber(n)
	if !tm.general.matches(national) {
		return phonenumbers.UNKNOWN
	}
	for _, td := range tm.ordered {
		if td.desc.matches(national) {
			return td.typ
		}
	}
	if tm.fixedLine.matches(national) {
		if tm.sameMobileAndFixedLine || tm.mobile.matches(national) {
			return phonenumbers.FIXED_LINE_OR_MOBILE
		}
		return phonenumbers.FIXED_LINE
	}
	if !tm.sameMobileAndFixedLine && tm.mobile.matches(national) {
		return phonenumbers.MOBILE
	}
	return phonenumbers.UNKNOWN
}
