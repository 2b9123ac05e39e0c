// Command idcoord is the command-line front end of idcoord: it decodes IDs,
// lists layouts and shows the effective configuration, and is the home of
// the sidecar and operator commands.
//
// This package is the only importer of cobra. Every configuration key is
// declared once, in keys.go, with its default and usage; config.go binds
// each key to a persistent flag (--etcd.endpoints), an environment variable
// (IDCOORD_ETCD_ENDPOINTS) and an entry of the YAML file named by --config
// (etcd: {endpoints: [...]}), and reads each key once from the first of
// them that sets it (flag > env > file > default), noting where its value
// came from. settings.go turns the result into one typed settings value,
// checked by the libraries' own rules; commands read only that value.
//
// Each command lives in its own file as newXCommand, returns errors from
// RunE and never exits the process: main prints the error as one line (an
// errors.Join as one line per error), prefixed "idcoord: ", and exits 1, or
// with the status an exitError carries (serve after SIGINT: 130).
package main
