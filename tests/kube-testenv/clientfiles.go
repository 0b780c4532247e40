package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// envFile is D/env.json, the machine-readable description of the running control plane.
type envFile struct {
	Server string            `json:"server"`
	CAFile string            `json:"ca_file"`
	Tokens map[string]string `json:"tokens"`
}

// writeClientFiles writes env.json and admin.kubeconfig (each to a temp name, then renamed, so a
// reader never sees half a file) and returns the kubeconfig path.
func writeClientFiles(dir, server string, pki *pkiFiles) (string, error) {
	env, err := json.MarshalIndent(envFile{
		Server: server,
		CAFile: pki.caFile,
		Tokens: map[string]string{"admin": pki.adminToken, "nobody": pki.nobodyToken},
	}, "", "  ")
	if err != nil {
		return "", err
	}
	if err := writeAtomic(filepath.Join(dir, "env.json"), append(env, '\n')); err != nil {
		return "", err
	}

	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kube-testenv"] = &clientcmdapi.Cluster{Server: server, CertificateAuthority: pki.caFile}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: pki.adminToken}
	cfg.Contexts["kube-testenv"] = &clientcmdapi.Context{Cluster: "kube-testenv", AuthInfo: "admin", Namespace: "default"}
	cfg.CurrentContext = "kube-testenv"
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return "", err
	}
	kubeconfig := filepath.Join(dir, "admin.kubeconfig")
	return kubeconfig, writeAtomic(kubeconfig, data)
}

func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func httpsClient(caFile string) (*http.Client, error) {
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, errors.New("no certificate in " + caFile)
	}
	return &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}, nil
}

func readyz(client *http.Client, server, token string) bool {
	req, err := http.NewRequest(http.MethodGet, server+"/readyz", nil)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
