package etcd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/idcoord/idcoord/coord"
)

// connectError is the error New returns when it cannot reach etcd: it wraps
// coord.ErrDenied when etcd refused the credentials or TLS failed over
// certificates, else coord.ErrUnreachable.
func connectError(ctx context.Context, cfg Config, err error) error {
	fault := storeFault(err)
	if cfg.TLS != nil && fault != coord.ErrDenied {
		if terr := tlsRefusal(ctx, cfg.Endpoints, cfg.TLS); terr != nil {
			return fmt.Errorf("%w: etcd %v: TLS refused: %v", coord.ErrDenied, cfg.Endpoints, terr)
		}
	}
	return fmt.Errorf("%w: etcd %v: %v", fault, cfg.Endpoints, err)
}

// tlsProbeWait is how long tlsRefusal waits, after a handshake, for the
// server to reject the client's certificate.
const tlsProbeWait = 300 * time.Millisecond

// tlsRefusal tells why a TLS connection to the endpoints fails, when it
// fails for a reason that retrying cannot cure: the client does not trust
// the server's certificate, or the server rejects the client's (or its
// missing) certificate. It returns nil when no endpoint shows such a fault,
// for example when none is listening.
//
// The etcd client hides these faults behind its retries and reports only
// that its deadline passed, so New asks this probe once a TLS connection
// has failed. With TLS 1.3 the server checks the client's certificate after
// the client's side of the handshake is done, so the probe also reads
// briefly to catch the server's alert.
func tlsRefusal(ctx context.Context, endpoints []string, cfg *tls.Config) error {
	for _, ep := range endpoints {
		addr := ep
		if i := strings.Index(addr, "://"); i >= 0 {
			addr = addr[i+3:]
		}
		if err := probeTLS(ctx, addr, cfg); err != nil {
			return err
		}
	}
	return nil
}

func probeTLS(ctx context.Context, addr string, cfg *tls.Config) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil // not a TLS fault
	}
	defer raw.Close()
	c := cfg.Clone()
	if c.ServerName == "" {
		c.ServerName, _, _ = net.SplitHostPort(addr)
	}
	// The etcd server multiplexes HTTP/2 (gRPC) and HTTP/1.1 behind ALPN.
	c.NextProtos = []string{"h2"}
	conn := tls.Client(raw, c)
	if err := conn.HandshakeContext(ctx); err != nil {
		return tlsFault(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(tlsProbeWait))
	var b [1]byte
	_, err = conn.Read(b[:])
	return tlsFault(err)
}

// tlsFault returns err if it is a certificate fault of either side, else nil.
func tlsFault(err error) error {
	var verify *tls.CertificateVerificationError
	var op *net.OpError
	if errors.As(err, &verify) || (errors.As(err, &op) && op.Op == "remote error") {
		return err // "remote error" is how crypto/tls reports the server's alert
	}
	return nil
}
