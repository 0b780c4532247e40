// Command kubectl is the upstream kubectl (k8s.io/kubectl, the Kubernetes minor of kube-testenv),
// built here so the tests drive ContainerGroups with the client users have. Its main is
// k8s.io/kubernetes/cmd/kubectl's, without the cloud auth plugins nobody needs on loopback.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	// -v must take effect before the command is built (plugins and .kuberc are read then).
	logs.GlogSetter(cmd.GetLogVerbosity(os.Args)) // nolint:errcheck
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		util.CheckErr(err)
	}
}
