package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeSelfSigned writes a throwaway certificate for 127.0.0.1.
func writeSelfSigned(t *testing.T, dir string) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	cert, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return cert, keyFile
}

func TestTLS(t *testing.T) {
	root := t.TempDir()
	cert, key := writeSelfSigned(t, root)
	nf := writeConfig(t, root, "tls", nil, "")
	data, _ := os.ReadFile(nf.cfg)
	doc := strings.Replace(string(data), "timeout: 10s}", fmt.Sprintf("timeout: 10s, tls: {enabled: true, cert_file: %q, key_file: %q}}", cert, key), 1)
	if err := os.WriteFile(nf.cfg, []byte(doc), 0o600); err != nil || doc == string(data) {
		t.Fatalf("cannot turn TLS on: %v", err)
	}

	p := startProc(t, nf, root)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // throwaway cert
	eventually(t, "HTTPS answers", func() error {
		resp, err := client.Get("https://" + nf.api + "/api/version")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})
	p.stop(t)

	// A key that does not match is refused at start, with one line.
	os.WriteFile(key, []byte("not a key"), 0o600)
	code, _, errOut := runCLI("start", "--config", nf.cfg)
	if code != 1 || errOut == "" {
		t.Errorf("broken key: exit %d %q", code, errOut)
	}
}
