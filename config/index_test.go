package config

import (
	"hash/maphash"
	"strconv"
	"testing"
)

// TestTable checks the lookup table against a map with the same rules:
// the first entry of a key wins, empty keys are never found, and keys
// that are not there are not found (which needs the free slot).
func TestTable(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 10, 1000} {
		var items []string
		for i := range n {
			items = append(items, strconv.Itoa(i%(n/2+1)), "") // every key twice, and empty ones
		}
		tab := newTable(maphash.MakeSeed(), items, func(s *string) string { return *s })
		want := map[string]int{}
		for i, k := range items {
			if _, ok := want[k]; !ok && k != "" {
				want[k] = i
			}
		}
		for k, i := range want {
			if p, ok := tab.get(k); !ok || p != &items[i] {
				t.Errorf("n=%d: get(%q) = %v, %v; want entry %d", n, k, p, ok, i)
			}
		}
		for _, k := range []string{"", "x", strconv.Itoa(n), "-1"} {
			if _, ok := tab.get(k); ok {
				t.Errorf("n=%d: get(%q) found something", n, k)
			}
		}
	}
}
