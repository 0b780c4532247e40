// Package object reads the one Kubernetes object kstatus and argo-health judge.
package object

import (
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Read decodes one object, JSON or YAML, from the file named by the only argument or from stdin
// without one, as client-go's unstructured decoder does (integers as int64), as the real tools see it.
func Read(args []string, stdin io.Reader) (*unstructured.Unstructured, error) {
	var data []byte
	var err error
	switch len(args) {
	case 0:
		data, err = io.ReadAll(stdin)
	case 1:
		data, err = os.ReadFile(args[0])
	default:
		return nil, fmt.Errorf("one object file at most, got %d arguments", len(args))
	}
	if err != nil {
		return nil, err
	}
	if data, err = yaml.YAMLToJSON(data); err != nil {
		return nil, err
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("not a Kubernetes object: %w", err)
	}
	return obj, nil
}
