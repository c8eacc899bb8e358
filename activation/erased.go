package activation

import "strings"

// Personal data that was erased or is past its retention reads as these
// stand-ins (the engine seals personal fields; activation/engine/seal.go):
// a person id becomes ErasedPrefix plus 16 hex digits, stable within
// one incident, a text ErasedText. Counts and times stay as they were.
const (
	ErasedPrefix = "gelöscht-"
	ErasedText   = "[gelöscht / erased]"
)

// IsErased reports whether a person id or text stands for erased data.
func IsErased(s string) bool { return strings.HasPrefix(s, ErasedPrefix) || s == ErasedText }
