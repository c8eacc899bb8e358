package config

import (
	"embed"
	"os"
)

// examples holds the bundled example configuration that `kaskade serve`
// runs with when no file is given. It is the package's only global.
//
//go:embed examples/niedersachsen.yaml
var examples embed.FS

const exampleFile = "examples/niedersachsen.yaml"

// Example returns the bundled example configuration: its display name for
// problem messages ("<embedded>/niedersachsen.yaml") and its YAML source.
func Example() (name string, data []byte) {
	data, err := examples.ReadFile(exampleFile)
	if err != nil {
		panic("config: embedded example missing: " + err.Error()) // impossible: checked at build
	}
	return "<embedded>/niedersachsen.yaml", data
}

// LoadExample loads the bundled example configuration (eleven Lower Saxony
// ministries, console channel only).
func LoadExample() (*Config, Problems, error) {
	name, data := Example()
	return LoadBytes(name, data, os.Getenv)
}

// LoadOrExample loads path, or the bundled example when path is "".
func LoadOrExample(path string) (*Config, Problems, error) {
	if path == "" {
		return LoadExample()
	}
	return Load(path)
}
