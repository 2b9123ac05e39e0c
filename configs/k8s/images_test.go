package k8s_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

// workload is the part of a Kubernetes object the image check reads: the
// containers of its pod template, if it has one.
type workload struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Template struct {
			Spec struct {
				InitContainers []image `yaml:"initContainers"`
				Containers     []image `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type image struct {
	Name  string `yaml:"name"`
	Image string `yaml:"image"`
}

// TestManifestImagesPinned checks that every container of every manifest
// runs an image pinned to one version (imagePinned), so that every pod of a
// rollout runs the same build.
func TestManifestImagesPinned(t *testing.T) {
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dec := yaml.NewDecoder(bytes.NewReader(data))
			containers := 0
			for {
				var o workload
				err := dec.Decode(&o)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				pod := o.Spec.Template.Spec
				for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
					containers++
					if err := imagePinned(c.Image); err != nil {
						t.Errorf("%s %s: container %s: image %q: %v", o.Kind, o.Metadata.Name, c.Name, c.Image, err)
					}
				}
			}
			if containers == 0 {
				t.Error("no containers")
			}
		})
	}
}
