package mariadbtest

import (
	"fmt"
	"os/exec"
	"path/filepath"
)

// InstallHint says how to install what this package runs.
const InstallHint = "run `make deps` (apt-get install -y mariadb-server)"

// sbin is where Debian installs the server, often not on a user's PATH.
// A variable for the test of a missing server.
var sbin = "/usr/sbin"

// binaries are the programs a server needs: the server itself, the script
// that makes its data folder, and the command-line client.
type binaries struct {
	server, install, client string
}

// findBinaries looks each program up by its MariaDB name and then its older
// MySQL one, on PATH and in /usr/sbin.
func findBinaries() (binaries, error) {
	var b binaries
	var err error
	if b.server, err = find("mariadbd", "mysqld"); err != nil {
		return b, err
	}
	if b.install, err = find("mariadb-install-db", "mysql_install_db"); err != nil {
		return b, err
	}
	b.client, err = find("mariadb", "mysql")
	return b, err
}

// find returns the path of the first of names that is installed.
func find(names ...string) (string, error) {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
		if p, err := exec.LookPath(filepath.Join(sbin, n)); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("mariadbtest: none of %v is installed (on PATH or in %s); %s", names, sbin, InstallHint)
}
