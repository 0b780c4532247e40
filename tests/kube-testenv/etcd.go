package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// startEtcd runs a single-member etcd on two reserved loopback ports, without fsync (test data
// only); the reservations are released just before etcd binds them.
func startEtcd(ctx context.Context, dataDir string, client, peer *reservation) (*embed.Etcd, string, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, "", err
	}
	clientPort, peerPort := client.port, peer.port
	client.release()
	peer.release()
	clientURL := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", clientPort)}
	peerURL := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", peerPort)}

	cfg := embed.NewConfig()
	cfg.Name = "kube-testenv"
	cfg.Dir = dataDir
	cfg.UnsafeNoFsync = true
	cfg.LogLevel = "error"
	cfg.ListenClientUrls = []url.URL{clientURL}
	cfg.AdvertiseClientUrls = []url.URL{clientURL}
	cfg.ListenPeerUrls = []url.URL{peerURL}
	cfg.AdvertisePeerUrls = []url.URL{peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, "", err
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, clientURL.String(), nil
	case err := <-e.Err():
		e.Close()
		return nil, "", err
	case <-ctx.Done():
		e.Close()
		return nil, "", errors.New("interrupted while starting etcd")
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, "", errors.New("etcd not ready after 60s")
	}
}

// reservation holds a free loopback port open until it is about to be used. Ports picked one by
// one and closed at once can come back twice (the kernel may hand a just-closed port out again),
// and a port left unheld for seconds can be taken by another process: with several control planes,
// operators and emulators starting in parallel test workers, both happened.
type reservation struct {
	port     int
	listener net.Listener
}

// reservePorts holds n distinct free loopback ports.
func reservePorts(n int) ([]*reservation, error) {
	out := make([]*reservation, 0, n)
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			for _, r := range out {
				r.release()
			}
			return nil, err
		}
		out = append(out, &reservation{port: l.Addr().(*net.TCPAddr).Port, listener: l})
	}
	return out, nil
}

// release frees the port for its user (idempotent).
func (r *reservation) release() {
	if r.listener != nil {
		_ = r.listener.Close()
		r.listener = nil
	}
}
