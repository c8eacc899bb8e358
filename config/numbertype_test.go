package config

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"google.golang.org/protobuf/proto"
)

// TestNumberTypesMatchLibrary: the precompiled classifier agrees with
// phonenumbers.GetNumberType for random numbers of every country code,
// including shared ones (+1, +7) and non-geographical entities (+800, +882).
func TestNumberTypesMatchLibrary(t *testing.T) {
	nt := newNumberTypes()
	m := newMobileNormaliser()
	rng := rand.New(rand.NewPCG(3, 4))
	types := map[phonenumbers.PhoneNumberType]int{}
	for cc := range m.prefixes {
		for range 40 {
			var nsn uint64
			for d := 4 + rng.IntN(10); d > 0; d-- {
				nsn = nsn*10 + uint64(rng.IntN(10))
			}
			n := &phonenumbers.PhoneNumber{CountryCode: proto.Int32(int32(cc)), NationalNumber: proto.Uint64(nsn)}
			want, got := phonenumbers.GetNumberType(n), nt.numberType(n)
			if got != want {
				t.Fatalf("+%d %d: classified %v, the library says %v", cc, nsn, got, want)
			}
			types[want]++
		}
	}
	if len(m.prefixes) < 200 || types[phonenumbers.MOBILE] == 0 || types[phonenumbers.FIXED_LINE] == 0 || types[phonenumbers.UNKNOWN] == 0 {
		t.Fatalf("too little variety to mean anything: %d codes, types %v", len(m.prefixes), types)
	}
}

// BenchmarkNumberType classifies 1,000 German mobile numbers with the
// library and with numberTypes (figures in docs/BENCHMARKS.md).
func BenchmarkNumberType(b *testing.B) {
	m := newMobileNormaliser()
	var ns []*phonenumbers.PhoneNumber
	for i := range 1000 {
		n, _, ok := m.parseE164(fmt.Sprintf("+49151%08d", i*100))
		if !ok {
			b.Fatal("not on the fast path")
		}
		ns = append(ns, n)
	}
	for _, c := range []struct {
		name string
		f    func(*phonenumbers.PhoneNumber) phonenumbers.PhoneNumberType
	}{{"library", phonenumbers.GetNumberType}, {"numberTypes", m.types.numberType}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, n := range ns {
					c.f(n)
				}
			}
		})
	}
}
