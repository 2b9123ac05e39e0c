package store

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	zkcoord "github.com/idcoord/idcoord/coord/zk"
)

// etcdSecrets are what the etcd client reads from EtcdConfig's files.
type etcdSecrets struct {
	username, password string
	tls                *tls.Config
}

// readEtcdSecrets reads the password and TLS files of e.
func readEtcdSecrets(e EtcdConfig) (etcdSecrets, error) {
	password, err := readSecret("etcd.password-file", e.PasswordFile)
	if err != nil {
		return etcdSecrets{}, err
	}
	tlsConfig, err := etcdTLS(e)
	if err != nil {
		return etcdSecrets{}, err
	}
	return etcdSecrets{username: e.Username, password: password, tls: tlsConfig}, nil
}

// readSecret reads a secret from path (empty path: no secret). The secret is
// never part of an error message.
func readSecret(key, path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	secret := strings.TrimRight(string(b), "\r\n")
	if secret == "" {
		return "", fmt.Errorf("%s: %s is empty", key, path)
	}
	return secret, nil
}

// zkAuth reads ZKConfig.AuthFile: one line "user:password", used as digest
// auth.
func zkAuth(path string) ([]zkcoord.Credential, error) {
	secret, err := readSecret("zk.auth-file", path)
	if err != nil || secret == "" {
		return nil, err
	}
	if !strings.Contains(secret, ":") {
		return nil, fmt.Errorf("zk.auth-file: %s must hold one line user:password", path)
	}
	return []zkcoord.Credential{{Scheme: "digest", Secret: []byte(secret)}}, nil
}

// etcdTLS builds the client TLS config: the CA that signs the servers, and a
// client certificate when one is set. Verification is never skipped.
func etcdTLS(e EtcdConfig) (*tls.Config, error) {
	if e.CAFile == "" && e.CertFile == "" {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if e.CAFile != "" {
		pem, err := os.ReadFile(e.CAFile)
		if err != nil {
			return nil, fmt.Errorf("etcd.ca-file: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("etcd.ca-file: %s holds no PEM certificate", e.CAFile)
		}
	}
	if e.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(e.CertFile, e.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("etcd.cert-file/etcd.key-file: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
