package govreport_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	govreportv1 "github.com/govreport/govreport/clients/go/gen/govreport/v1"
	"github.com/govreport/govreport/clients/go/govreport"
	"github.com/govreport/govreport/clients/go/internal/testserver"
)

// pki writes a CA and a server and a client certificate signed by it into
// dir, as PEM files named <name>.crt and <name>.key.
func pki(t *testing.T, dir string) {
	t.Helper()
	caKey := key(t, dir, "ca")
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "govreport test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER := cert(t, dir, "ca", caTmpl, caTmpl, caKey, caKey)
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"server", "client"} {
		k := key(t, dir, name)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 2)), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		}
		cert(t, dir, name, tmpl, ca, k, caKey)
	}
}

func key(t *testing.T, dir, name string) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, name+".key"), "PRIVATE KEY", der)
	return k
}

func cert(t *testing.T, dir, name string, tmpl, parent *x509.Certificate, k, parentKey *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &k.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, name+".crt"), "CERTIFICATE", der)
	return der
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestMutualTLSAndToken runs a second server that requires a client
// certificate and a bearer token.
func TestMutualTLSAndToken(t *testing.T) {
	dir := t.TempDir()
	pki(t, dir)
	at := func(name string) string { return filepath.Join(dir, name) }
	secure, err := testserver.Start("--workers", "1",
		"--tls-cert-file", at("server.crt"), "--tls-key-file", at("server.key"),
		"--tls-client-ca-file", at("ca.crt"), "--auth-tokens", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = secure.Stop() })

	full := govreport.Options{
		Addresses: []string{secure.Addr}, Timeout: 30 * time.Second,
		CAFile: at("ca.crt"), CertFile: at("client.crt"), KeyFile: at("client.key"), Token: "s3cret",
	}
	call := func(o govreport.Options) error {
		c, err := govreport.New(o)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.GetTemplate(context.Background(), govreportv1.TemplateVersion_TEMPLATE_VERSION_2021)
		return err
	}

	if err := call(full); err != nil {
		t.Fatalf("certificate and token: %v", err)
	}
	noToken, badToken, noCert, plain := full, full, full, full
	noToken.Token = ""
	badToken.Token = "guess"
	noCert.CertFile, noCert.KeyFile = "", ""
	plain.CAFile, plain.CertFile, plain.KeyFile = "", "", ""
	for name, tc := range map[string]struct {
		o    govreport.Options
		code codes.Code
	}{
		"no token":       {noToken, codes.Unauthenticated},
		"wrong token":    {badToken, codes.Unauthenticated},
		"no certificate": {noCert, codes.Unavailable},
		"plaintext":      {plain, codes.Unavailable},
	} {
		err := call(tc.o)
		var e *govreport.Error
		if !errors.As(err, &e) || e.Code != tc.code {
			t.Errorf("%s: got %v, want %s", name, err, tc.code)
		}
	}
}
