package main

import (
	"fmt"
	"slices"
	"strings"
)

// envNotKeys are prefixes of IDCOORD_ variables that are not config keys
// but that idcoord or its tests read: the fault clock of faultclock test
// builds (faultclock_on.go) and the switches of the end-to-end tests
// (test/e2e), which pass their environment on to the idcoord processes
// they start.
var envNotKeys = []string{"IDCOORD_FAULTCLOCK_", "IDCOORD_E2E_"}

// unknownEnvWarnings returns one warning line per variable of environ
// ("NAME=value" items, as os.Environ gives them) that starts with IDCOORD_
// but is no key's variable, sorted by name. Such a variable is ignored, so a
// typo would otherwise go unnoticed. The warning names the closest key, when
// one is close (see closestKey).
func unknownEnvWarnings(environ []string) []string {
	var unknown []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, envPrefix) || isKeyEnv(name) ||
			slices.ContainsFunc(envNotKeys, func(p string) bool { return strings.HasPrefix(name, p) }) {
			continue
		}
		unknown = append(unknown, name)
	}
	slices.Sort(unknown)
	unknown = slices.Compact(unknown)
	warnings := make([]string, 0, len(unknown))
	for _, name := range unknown {
		if k := closestKey(name); k != nil {
			warnings = append(warnings, fmt.Sprintf("warning: %s is not a config key; did you mean %s (%s)?", name, envName(k.name), k.name))
		} else {
			warnings = append(warnings, fmt.Sprintf("warning: %s is not a config key and is ignored; idcoord print-config lists the keys", name))
		}
	}
	return warnings
}

// isKeyEnv reports whether name is the variable of a config key.
func isKeyEnv(name string) bool {
	return slices.ContainsFunc(keys, func(k key) bool { return envName(k.name) == name })
}

// closestKey returns the key whose variable is nearest to name, an
// IDCOORD_ variable that is no key's, or nil when none is near. Near means
// within a small edit distance (a transposed pair counts as one edit), that
// grows with the length of the name, or one of the two extending the other
// by whole '_' parts (IDCOORD_ETCD_PASSWORD for IDCOORD_ETCD_PASSWORD_FILE,
// IDCOORD_SOCKET_PATH for IDCOORD_SOCKET). Case is ignored. Of equally near
// keys, the first in the keys table wins.
func closestKey(name string) *key {
	given := strings.ToUpper(strings.TrimPrefix(name, envPrefix))
	var best *key
	bestDist := 0
	for i := range keys {
		k := &keys[i]
		known := strings.TrimPrefix(envName(k.name), envPrefix)
		d := editDistance(given, known)
		if d > max(2, len(known)/4) && !extendsByParts(given, known) {
			continue
		}
		if best == nil || d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// extendsByParts reports whether one of a and b is the other followed by
// '_' and more.
func extendsByParts(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	return a != "" && strings.HasPrefix(b, a+"_")
}

// editDistance is the optimal string alignment distance between a and b:
// the fewest insertions, deletions, substitutions and swaps of two
// neighbouring bytes that turn a into b.
func editDistance(a, b string) int {
	// d[i][j] is the distance between a[:i] and b[:j].
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
