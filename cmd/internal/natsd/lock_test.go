package natsd

import (
	"errors"
	"testing"
)

func TestOneServerPerDataDirectory(t *testing.T) {
	dir := t.TempDir()
	first, err := Start(Options{DataDir: dir, Listen: "off"})
	if err != nil {
		t.Fatal(err)
	}
	if second, err := Start(Options{DataDir: dir, Listen: "off"}); !errors.Is(err, ErrDataDirInUse) {
		if second != nil {
			second.Shutdown()
		}
		t.Fatalf("second server on the same data directory: %v", err)
	}
	other, err := Start(Options{DataDir: t.TempDir(), Listen: "off"})
	if err != nil {
		t.Fatalf("a server on another data directory: %v", err)
	}
	other.Shutdown()
	first.Shutdown()
	again, err := Start(Options{DataDir: dir, Listen: "off"})
	if err != nil {
		t.Fatalf("after shutdown: %v", err)
	}
	again.Shutdown()
}
