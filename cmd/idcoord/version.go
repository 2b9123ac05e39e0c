package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version and commit are set at build time with
// -ldflags "-X main.version=v1.2.3 -X main.commit=abc1234".
var (
	version = "dev"
	commit  = ""
)

// versionInfo is what version prints.
type versionInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Go      string `json:"go"`
}

// buildVersion returns the version, the commit (from -ldflags, else from
// the VCS stamp Go writes into the binary, else "unknown") and the Go
// version the binary was built with.
func buildVersion() versionInfo {
	v := versionInfo{Version: version, Commit: commit, Go: runtime.Version()}
	if v.Commit != "" {
		return v
	}
	v.Commit = "unknown"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && v.Commit != "unknown" {
		v.Commit += "-dirty"
	}
	if v.Version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v.Version = info.Main.Version // installed with go install module@version
	}
	return v
}

func newVersionCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version [-o text|json]",
		Short: "Print the version, commit and Go version",
		Args:  cobra.NoArgs,
	}
	out := addOutputFlag(cmd, "text", "json")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := out.check(); err != nil {
			return err
		}
		v := buildVersion()
		if out.format == "json" {
			return jsonLines(cmd.OutOrStdout(), []versionInfo{v})
		}
		_, err := fmt.Fprintf(cmd.OutOrStdout(), "version: %s\ncommit:  %s\ngo:      %s\n", v.Version, v.Commit, v.Go)
		return err
	}
	return cmd
}
