// Command kube-testenv runs a real Kubernetes control plane for tests: kube-apiserver and an
// embedded etcd in one process, listening only on 127.0.0.1.
//
//	kube-testenv up --dir D [--port N] [--ready-timeout 120s] [--no-stdin] [-- extra kube-apiserver flags]
//
// A later start on the same D keeps everything: etcd data, CA, serving certificate, ServiceAccount
// signing key and static tokens (and, given the same --port, the address), so the clients of a
// stopped control plane reconnect to the restarted one as to a restarted cluster apiserver.
// It writes D/admin.kubeconfig and D/env.json, prints "kube-testenv ready D/admin.kubeconfig" once
// /readyz answers, and shuts down on SIGTERM/SIGINT or when stdin reaches EOF, so a test runner
// that dies (and with it the pipe) never leaves a control plane behind.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "up" {
		fmt.Fprintln(os.Stderr, "usage: kube-testenv up --dir DIR [--port N] [--ready-timeout 120s] [--no-stdin] [-- kube-apiserver flags]")
		os.Exit(2)
	}
	if err := up(os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "kube-testenv:", err)
		os.Exit(1)
	}
}

func up(args []string) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory for the PKI, tokens, etcd data, admin.kubeconfig and env.json (required)")
	port := fs.Int("port", 0, "kube-apiserver port on 127.0.0.1 (0: a free one)")
	readyTimeout := fs.Duration("ready-timeout", 120*time.Second, "how long to wait for /readyz")
	noStdin := fs.Bool("no-stdin", false, "do not shut down when stdin reaches EOF")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("--dir is required")
	}
	if *port < 0 || *port > 65535 {
		return fmt.Errorf("--port %d: must be 0 (a free port) or 1-65535", *port)
	}
	extra := fs.Args() // everything after "--" goes to kube-apiserver unchanged
	absDir, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(absDir, 0o700); err != nil {
		return err
	}

	// The command installs the SIGTERM/SIGINT handler (SetupSignalContext); create it first so a
	// signal during etcd start-up already means a clean shutdown.
	cmd := app.NewAPIServerCommand()
	ctx := cmd.Context()

	pki, reused, err := loadOrWritePKI(absDir)
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	if reused {
		fmt.Fprintln(os.Stderr, "kube-testenv: reusing the PKI and tokens in", filepath.Join(absDir, "pki"))
	}
	ports, err := reservePorts(3)
	if err != nil {
		return err
	}
	defer func() {
		for _, r := range ports {
			r.release()
		}
	}()
	apiPort := *port
	if apiPort == 0 {
		apiPort = ports[0].port
	} else {
		ports[0].release()
	}

	etcd, etcdURL, err := startEtcd(ctx, filepath.Join(absDir, "etcd"), ports[1], ports[2])
	if err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	defer etcd.Close()

	cmd.SetArgs(append(apiserverFlags(absDir, pki, apiPort, etcdURL), extra...))
	ports[0].release() // held until the apiserver is about to bind it
	apiDone := make(chan error, 1)
	go func() { apiDone <- cmd.Execute() }()

	if !*noStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			genericapiserver.RequestShutdown()
		}()
	}

	server := fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	if err := waitReady(ctx, server, pki, *readyTimeout, apiDone, etcd.Err()); err != nil {
		return err
	}
	kubeconfig, err := writeClientFiles(absDir, server, pki)
	if err != nil {
		return err
	}
	fmt.Printf("kube-testenv ready %s\n", kubeconfig)

	select {
	case err := <-apiDone:
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("kube-apiserver stopped: %w", err)
		}
	case err := <-etcd.Err():
		return fmt.Errorf("etcd stopped: %w", err)
	case <-ctx.Done():
		// Give the apiserver its graceful shutdown, but never hang the caller.
		select {
		case <-apiDone:
		case <-time.After(30 * time.Second):
			fmt.Fprintln(os.Stderr, "kube-testenv: kube-apiserver did not stop within 30s")
		}
	}
	return nil
}

// waitReady polls /readyz until it answers 200, the apiserver or etcd fails, or the timeout passes.
func waitReady(ctx context.Context, server string, pki *pkiFiles, timeout time.Duration, apiDone <-chan error, etcdErr <-chan error) error {
	client, err := httpsClient(pki.caFile)
	if err != nil {
		return err
	}
	deadline := time.After(timeout)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-apiDone:
			return fmt.Errorf("kube-apiserver exited before ready: %v", err)
		case err := <-etcdErr:
			return fmt.Errorf("etcd failed before ready: %v", err)
		case <-ctx.Done():
			return errors.New("stopped before ready: SIGTERM/SIGINT received or stdin closed (use --no-stdin to run detached)")
		case <-deadline:
			return fmt.Errorf("%s/readyz not ready after %s", server, timeout)
		case <-tick.C:
			if readyz(client, server, pki.adminToken) {
				return nil
			}
		}
	}
}
