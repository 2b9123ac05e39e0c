package main

import (
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// source is the layer a key's effective value came from, lowest first.
type source int

const (
	fromDefault source = iota
	fromFile
	fromEnv
	fromFlag
)

// String returns "default", "file", "env" or "flag".
func (s source) String() string {
	switch s {
	case fromFile:
		return "file"
	case fromEnv:
		return "env"
	case fromFlag:
		return "flag"
	default:
		return "default"
	}
}

// resolved is one key's effective raw value and where it came from.
type resolved struct {
	key *key
	// raw is a string, or a []string for a list given as a flag, a YAML
	// list or the default.
	raw any
	src source
	// origin names what set the value: the flag (--cluster), the variable
	// (IDCOORD_CLUSTER) or the file path; for defaults it is empty, or says
	// what the default is worked out from.
	origin string
}

// where describes the source in words, for print-config and error messages:
// "flag --cluster", "env IDCOORD_CLUSTER", "file ./idcoord.yaml", "default",
// "default from hostname".
func (r resolved) where() string {
	switch {
	case r.origin == "":
		return r.src.String()
	case r.src == fromDefault:
		return "default from " + r.origin
	default:
		return r.src.String() + " " + r.origin
	}
}

// config binds every key of the keys table to a persistent flag, an
// environment variable and the YAML file, and resolves each key in one
// pass as flag > env > file > default, noting where its value came from.
// It is not safe for concurrent use; a command uses it from its RunE.
type config struct {
	flags    *pflag.FlagSet
	file     string                 // --config
	hostname func() (string, error) // default of node.name

	loaded bool
	vals   []resolved
	err    error
}

// newConfig defines --config and one flag per key on flags (the root
// command's persistent flags).
func newConfig(flags *pflag.FlagSet) *config {
	c := &config{flags: flags, hostname: os.Hostname}
	flags.StringVar(&c.file, "config", "", "YAML config `file`; keys nest on '.', as in etcd: {endpoints: [...]}")
	for i := range keys {
		k := &keys[i]
		if k.list {
			flags.StringSlice(k.name, splitList(k.def), k.usage)
		} else {
			flags.Var(&textValue{text: k.def, typ: k.typ}, k.name, k.usage)
		}
	}
	return c
}

// textValue is the flag value of a single-value key: the text as given,
// which buildSettings parses (so a bad value gets the same error from a
// flag as from the environment or the file). typ names the value in --help
// (pflag shows Type), such as "duration"; empty means "string".
type textValue struct {
	text string
	typ  string
}

func (v *textValue) String() string     { return v.text }
func (v *textValue) Set(s string) error { v.text = s; return nil }

// Type returns the word --help shows for the value.
func (v *textValue) Type() string {
	if v.typ == "" {
		return "string"
	}
	return v.typ
}

// resolve returns every key's effective raw value and source, in table
// order. It reads the --config file the first time it is called.
func (c *config) resolve() ([]resolved, error) {
	if c.loaded {
		return c.vals, c.err
	}
	c.loaded = true
	c.vals, c.err = c.load()
	return c.vals, c.err
}

// load reads the file, then takes each key from the first layer that sets
// it: a flag given on the command line, a non-empty variable, the file, or
// the default.
func (c *config) load() ([]resolved, error) {
	var inFile map[string]any
	if c.file != "" {
		var err error
		if inFile, err = readConfigFile(c.file); err != nil {
			return nil, err
		}
	}
	vals := make([]resolved, len(keys))
	for i := range keys {
		k := &keys[i]
		r := resolved{key: k}
		env := os.Getenv(envName(k.name)) // an empty variable counts as unset
		fileVal, setInFile := inFile[k.name]
		switch f := c.flags.Lookup(k.name); {
		case f.Changed:
			r.raw, r.src, r.origin = flagValue(f), fromFlag, "--"+k.name
		case env != "":
			r.raw, r.src, r.origin = env, fromEnv, envName(k.name)
		case setInFile:
			r.raw, r.src, r.origin = fileVal, fromFile, c.file
		default:
			r.raw, r.src, r.origin = k.defaultValue(), fromDefault, k.derived
		}
		vals[i] = r
	}
	return vals, nil
}

// flagValue is a flag's value as given: the items of a list, else the text.
func flagValue(f *pflag.Flag) any {
	if list, ok := f.Value.(pflag.SliceValue); ok {
		return list.GetSlice()
	}
	return f.Value.String()
}

// Settings resolves every key and returns the typed, validated settings.
// Commands call it from RunE; the error is one line that names the key, the
// value and where it came from.
func (c *config) Settings() (*settings, error) {
	vals, err := c.resolve()
	if err != nil {
		return nil, err
	}
	return buildSettings(vals, c.hostname)
}

// splitList splits comma-separated text into trimmed, non-empty items.
func splitList(s string) []string {
	items := []string{}
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}
