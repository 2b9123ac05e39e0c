package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
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
	// raw is a string or a []string, as viper returns it.
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
// environment variable and the YAML file, through one viper instance, and
// resolves them as flag > env > file > default. It is not safe for concurrent
// use; a command uses it from its RunE.
type config struct {
	v        *viper.Viper
	flags    *pflag.FlagSet
	file     string                 // --config
	hostname func() (string, error) // default of node.name
	bindErr  error

	loaded bool
	vals   []resolved
	err    error
}

// newConfig defines --config and one flag per key on flags (the root
// command's persistent flags) and binds each key in a fresh viper instance.
func newConfig(flags *pflag.FlagSet) *config {
	c := &config{v: viper.New(), flags: flags, hostname: os.Hostname}
	flags.StringVar(&c.file, "config", "", "YAML config `file`; keys nest on '.', as in etcd: {endpoints: [...]}")
	for i := range keys {
		k := &keys[i]
		if k.list {
			flags.StringSlice(k.name, splitList(k.def), k.usage)
			c.v.SetDefault(k.viperKey(), splitList(k.def))
		} else {
			flags.Var(&textValue{text: k.def, typ: k.typ}, k.name, k.usage)
			c.v.SetDefault(k.viperKey(), k.def)
		}
		c.bindErr = errors.Join(c.bindErr,
			c.v.BindFlagValue(k.viperKey(), viperFlag{flags.Lookup(k.name)}),
			c.v.BindEnv(k.viperKey(), envName(k.name)))
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

// viperFlag is a flag as viper reads it. Viper converts a flag's text by
// its type name ("int" through cast.ToInt, which turns "x" into 0), so a
// textValue is reported as a "string": viper hands on the text as given.
type viperFlag struct{ f *pflag.Flag }

func (v viperFlag) HasChanged() bool    { return v.f.Changed }
func (v viperFlag) Name() string        { return v.f.Name }
func (v viperFlag) ValueString() string { return v.f.Value.String() }

func (v viperFlag) ValueType() string {
	if _, ok := v.f.Value.(*textValue); ok {
		return "string"
	}
	return v.f.Value.Type()
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

// load reads the file into viper, takes each key's value from viper, and
// works out which layer gave it, checking the layers in viper's order.
func (c *config) load() ([]resolved, error) {
	if c.bindErr != nil {
		return nil, fmt.Errorf("binding config keys: %w", c.bindErr)
	}
	var inFile map[string]any
	if c.file != "" {
		var err error
		if inFile, err = readConfigFile(c.file); err != nil {
			return nil, err
		}
		nested := map[string]any{}
		for name, val := range inFile {
			setNested(nested, strings.Split(lookupKey(name).viperKey(), "."), val)
		}
		if err := c.v.MergeConfigMap(nested); err != nil {
			return nil, fmt.Errorf("config file %s: %w", c.file, err)
		}
	}
	vals := make([]resolved, len(keys))
	for i := range keys {
		k := &keys[i]
		r := resolved{key: k, raw: c.v.Get(k.viperKey())}
		_, setInFile := inFile[k.name]
		switch {
		case c.flags.Changed(k.name):
			r.src, r.origin = fromFlag, "--"+k.name
		case os.Getenv(envName(k.name)) != "": // viper, too, ignores empty variables
			r.src, r.origin = fromEnv, envName(k.name)
		case setInFile:
			r.src, r.origin = fromFile, c.file
		default:
			r.src, r.origin = fromDefault, k.derived
		}
		vals[i] = r
	}
	return vals, nil
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

// setNested stores val at path inside m, creating the maps on the way.
func setNested(m map[string]any, path []string, val any) {
	for _, p := range path[:len(path)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[path[len(path)-1]] = val
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
