package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/csv"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// pkiFiles are the credentials of a control plane: generated on the first start in a directory,
// reused by every later start there, so clients of a restarted control plane keep working.
type pkiFiles struct {
	caFile      string // CA that signed the serving certificate (clients trust this)
	servingCert string
	servingKey  string
	saKey       string // signs and verifies ServiceAccount tokens
	tokenFile   string // static bearer tokens (--token-auth-file)
	adminToken  string // user "admin", group system:masters
	nobodyToken string // user "nobody": authenticated, bound to no role
}

// loadOrWritePKI reuses the PKI and tokens in dir/pki when an earlier start left all of them there
// (and the serving certificate is still valid), and generates a fresh set when none is there.
// A partial set is an error: mixing old and new credentials would break clients in confusing ways.
func loadOrWritePKI(dir string) (p *pkiFiles, reused bool, err error) {
	pkiDir := filepath.Join(dir, "pki")
	if err := os.MkdirAll(pkiDir, 0o700); err != nil {
		return nil, false, err
	}
	p = &pkiFiles{
		caFile:      filepath.Join(pkiDir, "ca.crt"),
		servingCert: filepath.Join(pkiDir, "apiserver.crt"),
		servingKey:  filepath.Join(pkiDir, "apiserver.key"),
		saKey:       filepath.Join(pkiDir, "sa.key"),
		tokenFile:   filepath.Join(pkiDir, "tokens.csv"),
	}
	var present, missing []string
	for _, f := range []string{p.caFile, p.servingCert, p.servingKey, p.saKey, p.tokenFile} {
		if _, err := os.Stat(f); err == nil {
			present = append(present, f)
		} else if errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, f)
		} else {
			return nil, false, err
		}
	}
	switch {
	case len(missing) == 0:
		return p, true, p.load()
	case len(present) == 0:
		return p, false, p.generate()
	default:
		return nil, false, fmt.Errorf("%s holds only part of a PKI (missing %s); remove the directory to start afresh",
			pkiDir, strings.Join(missing, ", "))
	}
}

// load reads the tokens of an earlier start and checks that the serving certificate still holds.
func (p *pkiFiles) load() error {
	data, err := os.ReadFile(p.tokenFile)
	if err != nil {
		return err
	}
	reader := csv.NewReader(bytes.NewReader(data))
	reader.FieldsPerRecord = -1 // the groups column is optional
	records, err := reader.ReadAll()
	if err != nil {
		return fmt.Errorf("%s: %w", p.tokenFile, err)
	}
	for _, r := range records {
		if len(r) < 2 {
			continue
		}
		switch r[1] {
		case "admin":
			p.adminToken = r[0]
		case "nobody":
			p.nobodyToken = r[0]
		}
	}
	if p.adminToken == "" || p.nobodyToken == "" {
		return fmt.Errorf("%s: no token for user admin or nobody", p.tokenFile)
	}
	pemData, err := os.ReadFile(p.servingCert)
	if err != nil {
		return err
	}
	block, _ := pem.Decode(pemData)
	if block == nil {
		return fmt.Errorf("%s: no PEM certificate", p.servingCert)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return fmt.Errorf("%s: %w", p.servingCert, err)
	}
	if time.Now().After(cert.NotAfter) {
		return fmt.Errorf("%s expired at %s; remove the directory to start afresh", p.servingCert, cert.NotAfter)
	}
	return nil
}

// generate writes a new CA, serving certificate, ServiceAccount key and token file.
func (p *pkiFiles) generate() error {
	now := time.Now().Add(-time.Hour) // tolerate clock skew
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "kube-testenv-ca"},
		NotBefore:             now,
		NotAfter:              now.Add(10 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    now,
		NotAfter:     now.Add(10 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	p.adminToken, p.nobodyToken = randomToken(), randomToken()
	// token,user,uid,"groups"
	tokens := fmt.Sprintf("%s,admin,kube-testenv-admin,\"system:masters\"\n%s,nobody,kube-testenv-nobody\n",
		p.adminToken, p.nobodyToken)

	// The token file goes last: its presence marks a complete set for the next start.
	for _, f := range []struct {
		path string
		data []byte
	}{
		{p.caFile, pemBlock("CERTIFICATE", caDER)},
		{p.servingCert, pemBlock("CERTIFICATE", srvDER)},
		{p.servingKey, ecKeyPEM(srvKey)},
		{p.saKey, ecKeyPEM(saKey)},
		{p.tokenFile, []byte(tokens)},
	} {
		if f.data == nil {
			return fmt.Errorf("encoding %s", f.path)
		}
		if err := os.WriteFile(f.path, f.data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		panic(err)
	}
	return n.Add(n, big.NewInt(1))
}

func randomToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func pemBlock(kind string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
}

func ecKeyPEM(k *ecdsa.PrivateKey) []byte {
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil
	}
	return pemBlock("EC PRIVATE KEY", der)
}
