// Command kstatus prints the kstatus verdict on one Kubernetes object: what Flux's health checks
// and `kubectl wait`-style tools built on sigs.k8s.io/cli-utils conclude from its status.
//
//	kstatus [FILE]     object as JSON (or YAML) from FILE or stdin
//
// It prints one JSON line: {"status": "InProgress|Current|Failed|Terminating|NotFound|Unknown",
// "message": "...", "flux": {"status": ..., "message": ...}}. "flux" is the same computation by
// github.com/fluxcd/cli-utils, the fork Flux's controllers (and Helm v4's --wait) link, so a test
// sees at once if the two ever disagree.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	fluxstatus "github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	"github.com/eci-operator/eci-operator/tests/gitops-tools/internal/object"
)

type verdict struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

type output struct {
	verdict
	Flux verdict `json:"flux"`
}

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kstatus:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	obj, err := object.Read(args, stdin)
	if err != nil {
		return err
	}
	res, err := status.Compute(obj)
	if err != nil {
		return fmt.Errorf("sigs.k8s.io/cli-utils: %w", err)
	}
	flux, err := fluxstatus.Compute(obj)
	if err != nil {
		return fmt.Errorf("github.com/fluxcd/cli-utils: %w", err)
	}
	out := output{
		verdict: verdict{Status: res.Status.String(), Message: res.Message},
		Flux:    verdict{Status: flux.Status.String(), Message: flux.Message},
	}
	return json.NewEncoder(stdout).Encode(out)
}
