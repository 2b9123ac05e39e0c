package sidecar

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/idcoord/idcoord/sidecar/sidecartest"
)

func TestListenModes(t *testing.T) {
	tests := []struct {
		name     string
		mode     os.FileMode
		wantMode os.FileMode
	}{
		{"default", 0, 0o660},
		{"owner only", 0o600, 0o600},
		{"world", 0o666, 0o666},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(sidecartest.ShortDir(t), "a", "b")
			path := filepath.Join(dir, "s.sock")
			umaskBefore := currentUmask()
			l, err := Listen(path, tt.mode)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if got := currentUmask(); got != umaskBefore {
				t.Fatalf("process umask changed from %#o to %#o", umaskBefore, got)
			}
			for _, d := range []string{dir, filepath.Dir(dir)} {
				fi, err := os.Stat(d)
				if err != nil {
					t.Fatal(err)
				}
				if got := fi.Mode().Perm(); got != 0o750 {
					t.Errorf("folder %s mode %#o, want 0750", d, got)
				}
			}
			fi, err := os.Lstat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode()&fs.ModeSocket == 0 || fi.Mode().Perm() != tt.wantMode {
				t.Fatalf("socket mode %s, want a socket with %#o", fi.Mode(), tt.wantMode)
			}
		})
	}
}

// currentUmask reads the process umask.
func currentUmask() int {
	m := syscall.Umask(0o22)
	syscall.Umask(m)
	return m
}

func TestListenKeepsExistingFolderMode(t *testing.T) {
	dir := filepath.Join(sidecartest.ShortDir(t), "shared")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	l, err := Listen(filepath.Join(dir, "s.sock"), 0)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	fi, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o777 {
		t.Fatalf("existing folder mode changed to %#o", fi.Mode().Perm())
	}
}

func TestListenRemovesSocketOnClose(t *testing.T) {
	path := filepath.Join(sidecartest.ShortDir(t), "s.sock")
	l, err := Listen(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("socket file still there after Close: %v", err)
	}
}

func TestListenStaleSocket(t *testing.T) {
	path := filepath.Join(sidecartest.ShortDir(t), "s.sock")
	old, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	old.SetUnlinkOnClose(false)
	old.Close() // leaves a socket file nothing answers on, as a crash does
	if _, err := os.Lstat(path); err != nil {
		t.Fatal(err)
	}
	l, err := Listen(path, 0)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	defer l.Close()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("the new socket does not answer: %v", err)
	}
	c.Close()
}

func TestListenRefuses(t *testing.T) {
	dir := sidecartest.ShortDir(t)
	live := filepath.Join(dir, "live.sock")
	l, err := Listen(live, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	regular := filepath.Join(dir, "file")
	if err := os.WriteFile(regular, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dir, "folder")
	os.Mkdir(folder, 0o700)

	tests := []struct {
		name, path string
		want       error
		wantText   string
	}{
		{"live server", live, ErrSocketLive, "another server is live on " + live + "; refusing"},
		{"regular file", regular, ErrNotSocket, "is a regular file"},
		{"folder", folder, ErrNotSocket, "is a folder"},
		{"abstract", "@idcoord", ErrSocketPath, "abstract"},
		{"empty", "", ErrSocketPath, "empty"},
		{"too long", "/tmp/" + strings.Repeat("x", 110), ErrSocketPath, "holds at most 107"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Listen(tt.path, 0)
			if err == nil {
				l.Close()
				t.Fatal("Listen succeeded")
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("got %v, want %v mentioning %q", err, tt.want, tt.wantText)
			}
		})
	}
	if b, err := os.ReadFile(regular); err != nil || string(b) != "keep me" {
		t.Fatalf("regular file changed: %q, %v", b, err)
	}
	if c, err := net.Dial("unix", live); err != nil {
		t.Fatalf("the live server stopped answering: %v", err)
	} else {
		c.Close()
	}
	if _, err := Listen(filepath.Join(dir, "bad-mode.sock"), os.ModeSetuid|0o660); !errors.Is(err, ErrSocketPath) {
		t.Fatalf("mode with setuid: got %v, want ErrSocketPath", err)
	}
}
