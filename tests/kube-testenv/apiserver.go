package main

import (
	"fmt"
	"path/filepath"
)

// apiserverFlags is the kube-apiserver command line: loopback only, RBAC, static tokens, service
// account token signing (so TokenRequest works without a controller manager).
func apiserverFlags(dir string, pki *pkiFiles, port int, etcdURL string) []string {
	return []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", port),
		// 127.0.0.1 may not be stored in the "kubernetes" Endpoints; nothing here needs them.
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + filepath.Join(dir, "pki"),
		"--tls-cert-file=" + pki.servingCert,
		"--tls-private-key-file=" + pki.servingKey,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + pki.saKey,
		"--service-account-signing-key-file=" + pki.saKey,
		"--token-auth-file=" + pki.tokenFile,
		"--authorization-mode=RBAC",
		"--service-cluster-ip-range=10.0.0.0/24",
		// No controller manager: without this, pods would wait for a "default" ServiceAccount.
		"--disable-admission-plugins=ServiceAccount",
		// No garbage collector runs, so no delete may wait on GC finalizers (foreground/orphan).
		"--enable-garbage-collector=false",
		// Shut down within ~2 s even while watches are open: without this, net/http waits up to
		// --request-timeout (60 s) for long-running requests, so a restart would hang on clients.
		// New requests meanwhile get 429 + Retry-After, as from a cluster apiserver going away.
		"--shutdown-send-retry-after=true",
		"--allow-privileged=true",
		"--profiling=false",
		"--v=1",
	}
}
