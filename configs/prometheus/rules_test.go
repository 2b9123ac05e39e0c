package prometheus_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/idcoord/idcoord/testsupport/metricstest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

const (
	rulesFile = "idcoord-rules.yaml"
	testsFile = "idcoord-rules_test.yaml"
)

// ruleFile is the part of a Prometheus rule file the tests read.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// unitTests is the part of a promtool test file the tests read.
type unitTests struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		AlertRuleTest []struct {
			Alertname string `yaml:"alertname"`
			ExpAlerts []any  `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

func readYAML(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

func alerts(t *testing.T) []rule {
	t.Helper()
	var f ruleFile
	readYAML(t, rulesFile, &f)
	var out []rule
	for _, g := range f.Groups {
		out = append(out, g.Rules...)
	}
	if len(out) == 0 {
		t.Fatalf("%s holds no rules", rulesFile)
	}
	return out
}

// promtool runs promtool with args and fails t with its output if it
// fails; a missing promtool fails t naming `make deps`.
func promtool(t *testing.T, args ...string) string {
	t.Helper()
	testproc.Require(t, "promtool")
	out, err := testproc.CommandUntilDeadline(t, "promtool", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestRulesCheck runs promtool check rules: the file parses, every
// expression is valid PromQL, every template renders.
func TestRulesCheck(t *testing.T) {
	out := promtool(t, "check", "rules", rulesFile)
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool check rules said:\n%s", out)
	}
}

// TestRulesUnitTests runs promtool test rules on idcoord-rules_test.yaml.
func TestRulesUnitTests(t *testing.T) {
	out := promtool(t, "test", "rules", testsFile)
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules said:\n%s", out)
	}
}

// wanted are the alerts an operator needs, as named in the rule file.
var wanted = []string{
	"IdcoordNodeNotReady",             // a node not ready for more than a minute
	"IdcoordWorkerIdsNearlyExhausted", // over 90% of the WorkerIds held
	"IdcoordClockOffsetNearLimit",     // clock offset near clock.max-drift
	"IdcoordFenceMarginLow",           // the lease's fence margin shrinking
	"IdcoordWindowLeadLow",            // W's lead over the clock shrinking
	"IdcoordSegmentBufferExhausted",   // segment buffers running dry
	"IdcoordSegmentFetchesFailing",    // segment fetches failing
	"IdcoordStoreErrors",              // store operations failing
	"IdcoordLayoutEndingWithinAYear",  // the layout's lifetime ending
	"IdcoordLayoutEndingWithinAMonth", // ... soon
}

// TestRulesShape checks that every rule is an alert with a for:, a
// severity of warning or critical, and a summary and a description; that
// the wanted alerts are all there; and that the unit tests load this
// file and make every alert fire at least once.
func TestRulesShape(t *testing.T) {
	rules := alerts(t)
	var names []string
	for _, r := range rules {
		if r.Alert == "" {
			t.Errorf("rule %q is not an alert", r.Expr)
			continue
		}
		names = append(names, r.Alert)
		if r.For == "" {
			t.Errorf("%s: no for:, so one bad scrape fires it", r.Alert)
		}
		if s := r.Labels["severity"]; s != "warning" && s != "critical" {
			t.Errorf("%s: severity %q, want warning or critical", r.Alert, s)
		}
		for _, a := range []string{"summary", "description"} {
			if strings.TrimSpace(r.Annotations[a]) == "" {
				t.Errorf("%s: no %s annotation", r.Alert, a)
			}
		}
	}
	for _, w := range wanted {
		if !slices.Contains(names, w) {
			t.Errorf("no alert %s", w)
		}
	}
	var ut unitTests
	readYAML(t, testsFile, &ut)
	if !slices.Equal(ut.RuleFiles, []string{rulesFile}) {
		t.Errorf("%s loads %v, want [%s]", testsFile, ut.RuleFiles, rulesFile)
	}
	fires := map[string]bool{}
	for _, tc := range ut.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			}
		}
	}
	for _, n := range names {
		if !fires[n] {
			t.Errorf("%s: no unit test in %s makes it fire", n, testsFile)
		}
	}
}

// TestRuleMetricsExported checks every metric each alert reads against
// the /metrics of live nodes.
func TestRuleMetricsExported(t *testing.T) {
	rules := alerts(t)
	live := exported(t)
	for _, r := range rules {
		names, err := metricstest.MetricNames(r.Expr)
		if err != nil {
			t.Errorf("%s: %v", r.Alert, err)
			continue
		}
		if len(names) == 0 {
			t.Errorf("%s: %q reads no metric", r.Alert, r.Expr)
		}
		for _, n := range names {
			if !live.Names[n] {
				t.Errorf("%s reads %s, which live nodes do not export", r.Alert, n)
			}
		}
	}
	if t.Failed() {
		t.Logf("what the nodes exported:\n%s", live.Text)
	}
}
