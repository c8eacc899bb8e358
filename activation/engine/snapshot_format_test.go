package engine

import (
	"errors"
	"reflect"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation"
)

func TestSnapshotHeaderRoundTripAndTruncation(t *testing.T) {
	for _, h := range []snapshotHeader{
		{lastSeq: 1},
		{lastSeq: 1 << 40, created: -5, lastTime: 1_700_000_000_000_000_000, lastSum: [16]byte{1, 2, 3, 15: 9}, aborted: []uint64{3, 1 << 33}},
	} {
		header := appendHeader(nil, h)
		data := activation.NewCore().AppendSnapshot(append([]byte(nil), header...))
		got, core, err := decodeSnapshot(data)
		if err != nil || core == nil || !reflect.DeepEqual(got, h) {
			t.Fatalf("decode %+v: got %+v, core %v, err %v", h, got, core != nil, err)
		}
		// Every cut inside the header is refused as an unreadable snapshot.
		for n := range len(header) {
			if _, _, err := decodeSnapshot(header[:n]); !errors.Is(err, activation.ErrSnapshot) {
				t.Errorf("header of %+v cut at %d: err %v, want ErrSnapshot", h, n, err)
			}
		}
	}
}
