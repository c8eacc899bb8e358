package alerting

import (
	"encoding/json"
	"fmt"
	"strings"
)

// DuplicateKey returns the first key that appears twice in one JSON object
// of data, as a path ("exercise", "drill.target"), or "" if there is none.
// encoding/json keeps the last of duplicates silently and matches struct
// fields ignoring case, so {"exercise": true, "Exercise": false} declared a
// real incident to anyone who read the first key; keys are compared the
// same way. Call it on JSON that decoded (its depth is bounded).
func DuplicateKey(data []byte) string {
	dup, _ := duplicateIn(json.NewDecoder(strings.NewReader(string(data))), "")
	return dup
}

// duplicateIn reads one value and returns the path of a duplicate key in it.
func duplicateIn(dec *json.Decoder, path string) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return "", err
			}
			key, _ := kt.(string)
			p := strings.TrimPrefix(path+"."+key, ".")
			folded := strings.ToLower(strings.ToUpper(key)) // ſ, K (Kelvin) fold too
			if seen[folded] {
				return p, nil
			}
			seen[folded] = true
			if dup, err := duplicateIn(dec, p); dup != "" || err != nil {
				return dup, err
			}
		}
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if dup, err := duplicateIn(dec, fmt.Sprintf("%s[%d]", path, i)); dup != "" || err != nil {
				return dup, err
			}
		}
	default:
		return "", nil // a scalar
	}
	_, err = dec.Token() // the closing delimiter
	return "", err
}
