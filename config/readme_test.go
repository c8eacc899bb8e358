package config

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Every key of the configuration file is named in the README's
// configuration section (channel keys in their own sections), written as
// "key:" as in YAML or `key`.
func TestREADMENamesEveryConfigurationKey(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(b)
	start := strings.Index(section, "\n## Configuration")
	if start < 0 {
		t.Fatal("no configuration section")
	}
	section = section[start+1:]
	if end := strings.Index(section, "\n## "); end > 0 {
		section = section[:end]
	}
	for _, key := range yamlKeys(reflect.TypeFor[Config](), "", nil) {
		name := key[strings.LastIndex(key, ".")+1:]
		text := section
		if strings.HasPrefix(key, "channels.twilio.") || strings.HasPrefix(key, "channels.email.") {
			text = string(b) // in the sections "SMS over Twilio" and "Email"
		}
		if !strings.Contains(text, name+":") && !strings.Contains(text, "`"+name+"`") {
			t.Errorf("README's configuration section does not name %s", key)
		}
	}
}

// yamlKeys lists the YAML keys below struct type t, as paths; outer are
// the types above it (a node's children are nodes again).
func yamlKeys(t reflect.Type, prefix string, outer []reflect.Type) []string {
	var keys []string
	outer = append(outer, t)
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		key := prefix + name
		keys = append(keys, key)
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice || ft.Kind() == reflect.Map {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && !slices.Contains(outer, ft) && ft != reflect.TypeFor[Secret]() && ft != reflect.TypeFor[Localized]() &&
			!reflect.PointerTo(ft).Implements(reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()) {
			keys = append(keys, yamlKeys(ft, key+".", outer)...)
		}
	}
	return keys
}
