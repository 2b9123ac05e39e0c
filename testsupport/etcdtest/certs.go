package etcdtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Certs is a throw-away PKI for a TLS etcd: a CA, a server certificate for
// 127.0.0.1 signed by it, a client certificate signed by it, and a client
// certificate signed by a second CA that the server does not trust. Every
// file is PEM in a folder of tb.TempDir().
//
// The client certificates' common names are ClientCN and StrangerCN. etcd
// takes a client certificate's common name as the user name of a request
// that carries no token, so neither names an etcd user: a request with only
// a certificate is an anonymous one.
type Certs struct {
	CAFile     string // the CA that signs the server and the trusted client
	ServerCert string // server certificate for 127.0.0.1 and localhost
	ServerKey  string
	ClientCert string // client certificate signed by CAFile
	ClientKey  string
	// StrangerCert and StrangerKey are a client certificate signed by a CA
	// that the server does not trust.
	StrangerCert string
	StrangerKey  string
}

// Common names of the client certificates.
const (
	ClientCN   = "idcoord-test-client"
	StrangerCN = "idcoord-test-stranger"
)

// certLifetime is how long the test certificates are valid, from an hour
// ago so that a slightly slow clock does not matter.
const certLifetime = 24 * time.Hour

// NewCerts makes the PKI in a new folder of tb.TempDir(). It stops the test
// with tb.Fatalf if anything fails.
func NewCerts(tb testing.TB) *Certs {
	tb.Helper()
	dir := tb.TempDir()
	ca, caKey := newCA(tb, "idcoord-test-ca")
	stranger, strangerKey := newCA(tb, "idcoord-test-stranger-ca")
	c := &Certs{
		CAFile:       filepath.Join(dir, "ca.pem"),
		ServerCert:   filepath.Join(dir, "server.pem"),
		ServerKey:    filepath.Join(dir, "server-key.pem"),
		ClientCert:   filepath.Join(dir, "client.pem"),
		ClientKey:    filepath.Join(dir, "client-key.pem"),
		StrangerCert: filepath.Join(dir, "stranger.pem"),
		StrangerKey:  filepath.Join(dir, "stranger-key.pem"),
	}
	writePEM(tb, c.CAFile, "CERTIFICATE", ca.Raw)
	server := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:    []string{"localhost"},
		// etcd also dials its own client URL with this certificate.
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	issue(tb, server, ca, caKey, c.ServerCert, c.ServerKey)
	client := &x509.Certificate{Subject: pkix.Name{CommonName: ClientCN},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	issue(tb, client, ca, caKey, c.ClientCert, c.ClientKey)
	foreign := &x509.Certificate{Subject: pkix.Name{CommonName: StrangerCN},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	issue(tb, foreign, stranger, strangerKey, c.StrangerCert, c.StrangerKey)
	return c
}

// ClientTLS returns a client TLS config that trusts the CA and presents the
// trusted client certificate when withCert is true, and no certificate
// otherwise.
func (c *Certs) ClientTLS(tb testing.TB, withCert bool) *tls.Config {
	tb.Helper()
	if withCert {
		return c.tlsWith(tb, c.ClientCert, c.ClientKey)
	}
	return c.tlsWith(tb, "", "")
}

// StrangerTLS returns a client TLS config that trusts the CA and presents
// the certificate of the CA the server does not trust.
func (c *Certs) StrangerTLS(tb testing.TB) *tls.Config {
	tb.Helper()
	return c.tlsWith(tb, c.StrangerCert, c.StrangerKey)
}

func (c *Certs) tlsWith(tb testing.TB, certFile, keyFile string) *tls.Config {
	tb.Helper()
	pemCA, err := os.ReadFile(c.CAFile)
	if err != nil {
		tb.Fatalf("etcdtest: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemCA) {
		tb.Fatalf("etcdtest: %s holds no certificate", c.CAFile)
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			tb.Fatalf("etcdtest: %v", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg
}

// newCA makes a self-signed CA certificate and its key.
func newCA(tb testing.TB, cn string) (*x509.Certificate, *ecdsa.PrivateKey) {
	tb.Helper()
	key := newKey(tb)
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	setValidity(tb, tmpl)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		tb.Fatalf("etcdtest: create CA %s: %v", cn, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("etcdtest: parse CA %s: %v", cn, err)
	}
	return cert, key
}

// issue signs tmpl with the CA and writes the certificate and a new key.
func issue(tb testing.TB, tmpl, ca *x509.Certificate, caKey *ecdsa.PrivateKey, certFile, keyFile string) {
	tb.Helper()
	key := newKey(tb)
	setValidity(tb, tmpl)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		tb.Fatalf("etcdtest: sign %s: %v", tmpl.Subject.CommonName, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatalf("etcdtest: encode key of %s: %v", tmpl.Subject.CommonName, err)
	}
	writePEM(tb, certFile, "CERTIFICATE", der)
	writePEM(tb, keyFile, "PRIVATE KEY", keyDER)
}

func newKey(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("etcdtest: generate key: %v", err)
	}
	return key
}

// setValidity gives tmpl a random serial number and certLifetime.
func setValidity(tb testing.TB, tmpl *x509.Certificate) {
	tb.Helper()
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		tb.Fatalf("etcdtest: serial number: %v", err)
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = tmpl.NotBefore.Add(certLifetime)
}

func writePEM(tb testing.TB, path, kind string, der []byte) {
	tb.Helper()
	data := pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatalf("etcdtest: %v", err)
	}
}
