package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// k8sObject is the part of a Kubernetes object the manifest test reads.
type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	Spec struct {
		// Service
		ClusterIP                string `yaml:"clusterIP"`
		PublishNotReadyAddresses bool   `yaml:"publishNotReadyAddresses"`
		// Service: labels; StatefulSet, Deployment and
		// PodDisruptionBudget: {matchLabels: labels}.
		Selector map[string]any `yaml:"selector"`
		// PodDisruptionBudget: a number or a percentage.
		MinAvailable   any `yaml:"minAvailable"`
		MaxUnavailable any `yaml:"maxUnavailable"`
		// StatefulSet and Deployment
		Replicas    *int   `yaml:"replicas"`
		ServiceName string `yaml:"serviceName"`
		Template    struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type podSpec struct {
	TerminationGracePeriodSeconds *int64          `yaml:"terminationGracePeriodSeconds"`
	SecurityContext               securityContext `yaml:"securityContext"`
	InitContainers                []container     `yaml:"initContainers"`
	Containers                    []container     `yaml:"containers"`
	Volumes                       []volume        `yaml:"volumes"`
}

type securityContext struct {
	RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
	ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
	AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
	Capabilities             struct {
		Drop []string `yaml:"drop"`
	} `yaml:"capabilities"`
}

type container struct {
	Name          string   `yaml:"name"`
	Image         string   `yaml:"image"`
	RestartPolicy string   `yaml:"restartPolicy"`
	Args          []string `yaml:"args"`
	Env           []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			FieldRef *struct {
				FieldPath string `yaml:"fieldPath"`
			} `yaml:"fieldRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	Ports           []containerPort `yaml:"ports"`
	StartupProbe    *probe          `yaml:"startupProbe"`
	ReadinessProbe  *probe          `yaml:"readinessProbe"`
	LivenessProbe   *probe          `yaml:"livenessProbe"`
	SecurityContext securityContext `yaml:"securityContext"`
	Resources       struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type containerPort struct {
	Name          string `yaml:"name"`
	ContainerPort int    `yaml:"containerPort"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"` // a number or a port name
	} `yaml:"httpGet"`
}

type volume struct {
	Name     string    `yaml:"name"`
	EmptyDir *struct{} `yaml:"emptyDir"`
	// ConfigMap is the ConfigMap's name; items are not used here.
	ConfigMap *struct {
		Name string `yaml:"name"`
	} `yaml:"configMap"`
}

// mountOf returns where c mounts the volume named name, or "".
func (c *container) mountOf(name string) string {
	for _, m := range c.VolumeMounts {
		if m.Name == name {
			return m.MountPath
		}
	}
	return ""
}

// volumeMountedAt returns the name of the volume c mounts at dir, or "".
func (c *container) volumeMountedAt(dir string) string {
	for _, m := range c.VolumeMounts {
		if filepath.Clean(m.MountPath) == filepath.Clean(dir) {
			return m.Name
		}
	}
	return ""
}

// env returns the value of the variable name as c sets it, and whether it does.
func (c *container) env(name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

// fieldRef returns the downward API field that variable name comes from, or "".
func (c *container) fieldRef(name string) string {
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			return e.ValueFrom.FieldRef.FieldPath
		}
	}
	return ""
}

// port resolves a probe port, a number or the name of one of c's ports.
func (c *container) port(p any) int {
	switch p := p.(type) {
	case int:
		return p
	case string:
		for _, cp := range c.Ports {
			if cp.Name == p {
				return cp.ContainerPort
			}
		}
	}
	return -1
}

// decodeManifests reads every YAML document of a manifest file.
func decodeManifests(t *testing.T, path string) []k8sObject {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var objs []k8sObject
	for {
		var o k8sObject
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("%s, document %d: %v", path, len(objs)+1, err)
		}
		if o.Kind == "" {
			t.Fatalf("%s, document %d has no kind", path, len(objs)+1)
		}
		objs = append(objs, o)
	}
}

// envRef matches a Kubernetes $(VAR) reference in an env value.
var envRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// TestManifests parses every manifest in configs/k8s and checks what makes
// the sidecar work: the config it is started with loads and validates, the
// probes hit /readyz and /healthz on the configured admin port, the socket
// lies on an emptyDir that the app mounts too, the pod name and IP come from
// the downward API, the hardening is in place, and the grace period covers
// a graceful stop.
func TestManifests(t *testing.T) {
	tests := []struct {
		file, kind string
		podName    string // what the downward API gives for metadata.name
	}{
		{"statefulset.yaml", "StatefulSet", "orders-0"},
		{"deployment.yaml", "Deployment", "payments-7d9c5b8f4-x2kqp"},
	}
	files, err := filepath.Glob(filepath.Join(configsDir, "k8s", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(tests) {
		t.Errorf("configs/k8s holds %d manifests, %v; this test knows %d, add the others to it", len(files), files, len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			objs := decodeManifests(t, filepath.Join(configsDir, "k8s", tc.file))
			var workload *k8sObject
			for i := range objs {
				if objs[i].Kind == tc.kind {
					if workload != nil {
						t.Fatalf("more than one %s", tc.kind)
					}
					workload = &objs[i]
				}
			}
			if workload == nil {
				t.Fatalf("no %s", tc.kind)
			}
			checkWorkload(t, objs, workload, tc.podName)
		})
	}
}

// checkWorkload checks one StatefulSet or Deployment and its sidecar.
func checkWorkload(t *testing.T, objs []k8sObject, w *k8sObject, podName string) {
	pod := &w.Spec.Template.Spec
	labels := w.Spec.Template.Metadata.Labels
	if match, _ := w.Spec.Selector["matchLabels"].(map[string]any); !labelsMatch(match, labels) {
		t.Errorf("selector %v does not match the pod labels %v", w.Spec.Selector, labels)
	}

	sidecar, apps := splitContainers(t, pod)
	settings := sidecarSettings(t, objs, sidecar, podName)
	if got := settings["node.name"]; got.Source != "env" || got.Value != podName {
		t.Errorf("node.name is %v from %s, want the pod name %s from IDCOORD_NODE_NAME", got.Value, got.Source, podName)
	}
	for name, field := range map[string]string{"POD_NAME": "metadata.name", "POD_IP": "status.podIP"} {
		if got := sidecar.fieldRef(name); got != field {
			t.Errorf("%s comes from %q, want the downward API's %s", name, got, field)
		}
	}

	// Probes on the admin port.
	addr, _ := settings["admin.addr"].Value.(string)
	_, portText, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("admin.addr %q: %v", addr, err)
	}
	adminPort, _ := strconv.Atoi(portText)
	for _, p := range []struct {
		name  string
		probe *probe
		path  string
		must  bool
	}{
		{"readinessProbe", sidecar.ReadinessProbe, "/readyz", true},
		{"livenessProbe", sidecar.LivenessProbe, "/healthz", true},
		{"startupProbe", sidecar.StartupProbe, "/readyz", false},
	} {
		switch {
		case p.probe == nil && p.must:
			t.Errorf("the sidecar has no %s", p.name)
		case p.probe == nil:
		case p.probe.HTTPGet == nil:
			t.Errorf("%s is not an httpGet", p.name)
		case p.probe.HTTPGet.Path != p.path:
			t.Errorf("%s asks %s, want %s", p.name, p.probe.HTTPGet.Path, p.path)
		case sidecar.port(p.probe.HTTPGet.Port) != adminPort:
			t.Errorf("%s asks port %v, but admin.addr is %s", p.name, p.probe.HTTPGet.Port, addr)
		}
	}
	if !slices.ContainsFunc(sidecar.Ports, func(p containerPort) bool { return p.ContainerPort == adminPort }) {
		t.Errorf("the sidecar declares no containerPort %d (admin.addr %s)", adminPort, addr)
	}

	// The socket lies on an emptyDir that every container mounts.
	socket, _ := settings["socket"].Value.(string)
	dir, file := filepath.Split(socket)
	vol := sidecar.volumeMountedAt(dir)
	i := slices.IndexFunc(pod.Volumes, func(v volume) bool { return v.Name == vol })
	switch {
	case vol == "":
		t.Errorf("socket %s: the sidecar mounts no volume at %s", socket, dir)
	case i < 0 || pod.Volumes[i].EmptyDir == nil:
		t.Errorf("socket %s: volume %q mounted at %s is not an emptyDir of the pod", socket, vol, dir)
	}
	for _, app := range apps {
		if vol == "" {
			break
		}
		at := app.mountOf(vol)
		if at == "" {
			t.Errorf("container %s does not mount the socket volume %q", app.Name, vol)
			continue
		}
		if want := filepath.Join(at, file); envOr(app, "IDCOORD_SOCKET", want) != want {
			t.Errorf("container %s has IDCOORD_SOCKET=%s, but the socket is at %s there", app.Name, envOr(app, "IDCOORD_SOCKET", ""), want)
		}
	}

	// Hardening, on every container.
	for _, c := range append([]container{*sidecar}, apps...) {
		sc := c.SecurityContext
		nonRoot := sc.RunAsNonRoot
		if nonRoot == nil {
			nonRoot = pod.SecurityContext.RunAsNonRoot
		}
		switch {
		case nonRoot == nil || !*nonRoot:
			t.Errorf("container %s: runAsNonRoot is not true", c.Name)
		case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
			t.Errorf("container %s: readOnlyRootFilesystem is not true", c.Name)
		case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
			t.Errorf("container %s: allowPrivilegeEscalation is not false", c.Name)
		case !slices.Contains(sc.Capabilities.Drop, "ALL"):
			t.Errorf("container %s: capabilities drop %v, want ALL", c.Name, sc.Capabilities.Drop)
		}
	}

	// Every container: the resources the scheduler needs. That its image is
	// pinned is checked in configs/k8s, beside the Dockerfile's images.
	for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
		checkResources(t, c)
	}

	// A graceful stop drains the socket, then releases the WorkerId, each
	// bounded by shutdownGrace; the app needs some time of its own first.
	least := int64((2*shutdownGrace + 10*time.Second) / time.Second)
	switch g := pod.TerminationGracePeriodSeconds; {
	case g == nil:
		t.Errorf("terminationGracePeriodSeconds is unset (30 by default), want at least %d", least)
	case *g < least:
		t.Errorf("terminationGracePeriodSeconds is %d, want at least %d", *g, least)
	}

	switch w.Kind {
	case "StatefulSet":
		svc := findObject(objs, "Service", w.Spec.ServiceName)
		switch {
		case svc == nil:
			t.Errorf("serviceName %q names no Service in the file", w.Spec.ServiceName)
		case svc.Spec.ClusterIP != "None":
			t.Errorf("Service %s is not headless (clusterIP %q)", svc.Metadata.Name, svc.Spec.ClusterIP)
		case !labelsMatch(svc.Spec.Selector, labels):
			t.Errorf("Service %s selects %v, not the pods %v", svc.Metadata.Name, svc.Spec.Selector, labels)
		}
		checkDisruptionBudget(t, objs, w)
	case "Deployment":
		// Random pod names: WorkerIds must be recycled, which ZooKeeper's
		// sequential mode never does.
		if settings["coord"].Value == coordZK && settings["zk.mode"].Value != zkEphemeral {
			t.Errorf("a Deployment with coord zk needs zk.mode ephemeral, not %v", settings["zk.mode"].Value)
		}
	}
}

// checkResources checks that c requests CPU and memory and limits memory to
// no less than it requests. A CPU limit is not required: throttling a
// sidecar delays every ID request by a CFS period.
func checkResources(t *testing.T, c container) {
	t.Helper()
	for _, name := range []string{"cpu", "memory"} {
		if c.Resources.Requests[name] == "" {
			t.Errorf("container %s requests no %s", c.Name, name)
		}
	}
	limit := c.Resources.Limits["memory"]
	if limit == "" {
		t.Errorf("container %s has no memory limit", c.Name)
		return
	}
	req, err1 := parseBytes(c.Resources.Requests["memory"])
	lim, err2 := parseBytes(limit)
	switch {
	case err1 != nil || err2 != nil:
		t.Errorf("container %s: memory: %v, %v", c.Name, err1, err2)
	case lim < req:
		t.Errorf("container %s: memory limit %s below its request %s", c.Name, limit, c.Resources.Requests["memory"])
	}
}

// parseBytes reads a Kubernetes memory quantity in bytes: a plain number or
// one with a binary suffix (Ki, Mi, Gi).
func parseBytes(q string) (int64, error) {
	shift := 0
	for i, suffix := range []string{"Ki", "Mi", "Gi"} {
		if n, ok := strings.CutSuffix(q, suffix); ok {
			q, shift = n, 10*(i+1)
			break
		}
	}
	n, err := strconv.ParseInt(q, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("memory quantity %q: want a number of bytes, Ki, Mi or Gi", q)
	}
	return n << shift, nil
}

// checkDisruptionBudget checks that one policy/v1 PodDisruptionBudget
// selects the workload's pods, and that it lets a drain evict at least one of
// them: a budget that allows no disruption blocks every node drain.
func checkDisruptionBudget(t *testing.T, objs []k8sObject, w *k8sObject) {
	t.Helper()
	var pdbs []*k8sObject
	for i := range objs {
		if objs[i].Kind == "PodDisruptionBudget" {
			pdbs = append(pdbs, &objs[i])
		}
	}
	if len(pdbs) != 1 {
		t.Errorf("%d PodDisruptionBudgets; want one for %s %s", len(pdbs), w.Kind, w.Metadata.Name)
		return
	}
	pdb := pdbs[0]
	labels := w.Spec.Template.Metadata.Labels
	match, _ := pdb.Spec.Selector["matchLabels"].(map[string]any)
	if pdb.APIVersion != "policy/v1" {
		t.Errorf("PodDisruptionBudget %s is %s, want policy/v1", pdb.Metadata.Name, pdb.APIVersion)
	}
	if !labelsMatch(match, labels) {
		t.Errorf("PodDisruptionBudget %s selects %v, not the pods %v", pdb.Metadata.Name, pdb.Spec.Selector, labels)
	}
	replicas := 1
	if w.Spec.Replicas != nil {
		replicas = *w.Spec.Replicas
	}
	minAv, maxUn := pdb.Spec.MinAvailable, pdb.Spec.MaxUnavailable
	switch {
	case (minAv == nil) == (maxUn == nil):
		t.Errorf("PodDisruptionBudget %s sets minAvailable %v and maxUnavailable %v; want exactly one", pdb.Metadata.Name, minAv, maxUn)
	case maxUn != nil && podCount(t, maxUn, replicas) < 1:
		t.Errorf("PodDisruptionBudget %s: maxUnavailable %v of %d replicas lets no pod be evicted", pdb.Metadata.Name, maxUn, replicas)
	case minAv != nil && podCount(t, minAv, replicas) >= replicas:
		t.Errorf("PodDisruptionBudget %s: minAvailable %v of %d replicas lets no pod be evicted", pdb.Metadata.Name, minAv, replicas)
	}
}

// podCount resolves a budget's number or percentage of replicas, rounding a
// percentage up as Kubernetes does for minAvailable and maxUnavailable alike.
func podCount(t *testing.T, v any, replicas int) int {
	t.Helper()
	switch v := v.(type) {
	case int:
		return v
	case string:
		if p, ok := strings.CutSuffix(v, "%"); ok {
			if n, err := strconv.Atoi(p); err == nil {
				return (n*replicas + 99) / 100
			}
		}
	}
	t.Errorf("budget value %v: want a number or a percentage", v)
	return 0
}

// splitContainers returns the idcoord sidecar (the container that runs
// "serve") and the app containers.
func splitContainers(t *testing.T, pod *podSpec) (*container, []container) {
	t.Helper()
	var sidecar *container
	var apps []container
	all := append(slices.Clone(pod.InitContainers), pod.Containers...)
	for i := range all {
		c := &all[i]
		switch {
		case len(c.Args) > 0 && c.Args[0] == "serve":
			if sidecar != nil {
				t.Fatalf("containers %s and %s both run idcoord serve", sidecar.Name, c.Name)
			}
			sidecar = c
		case i < len(pod.InitContainers) && c.RestartPolicy != "Always":
			// a plain init container runs to completion before the app
		default:
			apps = append(apps, *c)
		}
	}
	if sidecar == nil {
		t.Fatal("no container runs idcoord serve")
	}
	if slices.ContainsFunc(pod.InitContainers, func(c container) bool { return c.Name == sidecar.Name }) && sidecar.RestartPolicy != "Always" {
		t.Errorf("the sidecar is an init container without restartPolicy Always: it would block the app forever")
	}
	if len(apps) == 0 {
		t.Error("no app container beside the sidecar")
	}
	return sidecar, apps
}

// sidecarSettings loads the config the sidecar starts with: the file its
// --config names, from the ConfigMap mounted there, and its IDCOORD_
// variables, with the downward API giving podName and a pod IP.
func sidecarSettings(t *testing.T, objs []k8sObject, sidecar *container, podName string) map[string]configEntry {
	t.Helper()
	i := slices.Index(sidecar.Args, "--config")
	if i < 0 || i+1 >= len(sidecar.Args) {
		t.Fatalf("the sidecar runs %v, without --config FILE", sidecar.Args)
	}
	configPath := sidecar.Args[i+1]
	dir, name := filepath.Split(configPath)
	volName := sidecar.volumeMountedAt(dir)
	var cm *k8sObject
	for _, v := range podVolumes(objs) {
		if v.Name == volName && v.ConfigMap != nil {
			cm = findObject(objs, "ConfigMap", v.ConfigMap.Name)
		}
	}
	if cm == nil {
		t.Fatalf("--config %s: no ConfigMap of this file is mounted at %s", configPath, dir)
	}
	text, ok := cm.Data[name]
	if !ok {
		t.Fatalf("--config %s: ConfigMap %s has no key %s", configPath, cm.Metadata.Name, name)
	}
	file := writeFile(t, name, text)

	values := map[string]string{}
	for _, e := range sidecar.Env {
		v := e.Value
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			switch e.ValueFrom.FieldRef.FieldPath {
			case "metadata.name":
				v = podName
			case "status.podIP":
				v = "10.1.2.3"
			}
		}
		v = envRef.ReplaceAllStringFunc(v, func(ref string) string {
			if val, ok := values[ref[2:len(ref)-1]]; ok {
				return val
			}
			return ref // Kubernetes leaves unknown references as they are
		})
		values[e.Name] = v
		known := slices.ContainsFunc(keys, func(k key) bool { return envName(k.name) == e.Name })
		switch {
		case known, e.Name == "POD_IP":
			t.Setenv(e.Name, v)
		case strings.HasPrefix(e.Name, envPrefix):
			t.Errorf("the sidecar sets %s, which names no config key", e.Name)
		}
	}
	entries := effective(t, "--config", file)
	// Pods that each ran their own embedded store would not coordinate:
	// two could hold the same WorkerId.
	if c := entries["coord"]; c.Value != coordEtcd && c.Value != coordZK {
		t.Errorf("coord is %v (%s); pods must share an etcd or ZooKeeper store", c.Value, c.Source)
	}
	return entries
}

// podVolumes returns the pod volumes of every workload in objs.
func podVolumes(objs []k8sObject) []volume {
	var vols []volume
	for _, o := range objs {
		vols = append(vols, o.Spec.Template.Spec.Volumes...)
	}
	return vols
}

// findObject returns the object of kind with name, or nil.
func findObject(objs []k8sObject, kind, name string) *k8sObject {
	for i := range objs {
		if objs[i].Kind == kind && objs[i].Metadata.Name == name {
			return &objs[i]
		}
	}
	return nil
}

// labelsMatch reports whether a non-empty selector selects labels.
func labelsMatch(selector map[string]any, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if s, ok := v.(string); !ok || labels[k] != s {
			return false
		}
	}
	return true
}

// envOr returns the value c gives the variable name, or def.
func envOr(c container, name, def string) string {
	if v, ok := c.env(name); ok {
		return v
	}
	return def
}
