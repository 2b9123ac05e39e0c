package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestManifestsShowDatacenter: each manifest shows, commented out, where a
// region sets its datacenter. Taken at its word (the preset twitter-dc and
// the env lines uncommented), it gives the sidecar that datacenter.
func TestManifestsShowDatacenter(t *testing.T) {
	for _, tc := range []struct{ file, kind, podName string }{
		{"statefulset.yaml", "StatefulSet", "orders-0"},
		{"deployment.yaml", "Deployment", "payments-7d9c5b8f4-x2kqp"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(configsDir, "k8s", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			text := string(data)
			env := envName("datacenter.id")
			commented := "# - name: " + env
			if !strings.Contains(text, commented) || !strings.Contains(text, "twitter-dc") {
				t.Fatalf("%s does not show %q and the twitter-dc preset", tc.file, commented)
			}
			// Uncomment the two env lines under the comment, and switch the preset.
			lines := strings.Split(text, "\n")
			for i, line := range lines {
				if strings.TrimSpace(line) == commented && i+1 < len(lines) {
					lines[i] = strings.Replace(line, "# ", "", 1)
					lines[i+1] = strings.Replace(lines[i+1], "#   ", "  ", 1)
				}
			}
			text = strings.Replace(strings.Join(lines, "\n"), "preset: twitter\n", "preset: twitter-dc\n", 1)
			path := filepath.Join(t.TempDir(), tc.file)
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			objs := decodeManifests(t, path)
			var w *k8sObject
			for i := range objs {
				if objs[i].Kind == tc.kind {
					w = &objs[i]
				}
			}
			if w == nil {
				t.Fatalf("no %s", tc.kind)
			}
			sidecar, _ := splitContainers(t, &w.Spec.Template.Spec)
			settings := sidecarSettings(t, objs, sidecar, tc.podName)
			if got := settings["datacenter.id"]; got.Source != "env" || valueText(got.Value) != "1" {
				t.Errorf("datacenter.id is %v from %s, want 1 from %s", got.Value, got.Source, env)
			}
			if got := settings["layout.preset"]; got.Value != "twitter-dc" {
				t.Errorf("layout.preset is %v, want twitter-dc", got.Value)
			}
		})
	}
}
