package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args, writing to stdout and stderr, and
// returns the exit code: 0, or 1 after printing the error as one line (an
// errors.Join as one line per error), or the code an exitError carries.
func run(args []string, stdout, stderr io.Writer) int {
	for _, w := range unknownEnvWarnings(os.Environ()) { // typos would be ignored silently
		fmt.Fprintln(stderr, w)
	}
	root := newRootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	for _, line := range errorLines(err) {
		fmt.Fprintf(stderr, "idcoord: %s\n", line)
	}
	return exitCode(err)
}

// errorLines returns the lines to print for err: one per error that
// errors.Join put together, each as one line.
func errorLines(err error) []string {
	if err == nil {
		return nil
	}
	if e, ok := err.(*exitError); ok {
		return errorLines(e.err)
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs := j.Unwrap()
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		if strings.Join(msgs, "\n") == err.Error() { // errors.Join, not fmt.Errorf with several %w
			var lines []string
			for _, e := range errs {
				lines = append(lines, errorLines(e)...)
			}
			return lines
		}
	}
	if msg := oneLine(err.Error()); msg != "" {
		return []string{msg}
	}
	return nil
}

// newRootCommand returns the idcoord command with every subcommand and the
// persistent flags of every config key. Each call binds a fresh config, so
// tests can run many in one process.
func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "idcoord",
		Short: "Coordinated 64-bit, time-ordered unique IDs",
		Long: `idcoord hands out 64-bit, time-ordered, unique IDs (the Snowflake family).

Every config key is a flag (--etcd.endpoints), an environment variable
(IDCOORD_ETCD_ENDPOINTS) and a key of the YAML file given by --config
(etcd: {endpoints: [...]}). Precedence: flag > env > file > default.
Run "idcoord print-config" to see every key's value and where it came from.`,
		SilenceUsage:       true,
		SilenceErrors:      true,
		DisableSuggestions: true,
	}
	cfg := newConfig(root.PersistentFlags())
	root.AddCommand(
		newDecodeCommand(cfg),
		newLayoutsCommand(cfg),
		newPrintConfigCommand(cfg),
		newVersionCommand(),
		newNextCommand(cfg),
		newBenchCommand(cfg),
		newServeCommand(cfg),
		newLeaseCommand(cfg),
		newClockCommand(cfg),
		newZKCommand(cfg),
		newSegmentCommand(cfg),
	)
	return root
}

// oneLine joins the lines of a message with spaces, so that every error is
// printed as one line.
func oneLine(msg string) string {
	var parts []string
	for line := range strings.Lines(msg) {
		if line = strings.TrimSpace(line); line != "" {
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, " ")
}
