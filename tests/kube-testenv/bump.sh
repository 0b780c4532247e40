#!/usr/bin/env bash
# Move kube-testenv to another Kubernetes release: ./bump.sh v1.36.4
# k8s.io/kubernetes requires its staging modules at v0.0.0 and resolves them with replace
# directives to ./staging; a consumer must replace each with the matching published v0.X.Y tag.
set -euo pipefail
version=${1:?usage: $0 vX.Y.Z}
staging=v0.${version#v1.}
cd "$(dirname "$0")"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
mod=$(cd /tmp && go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
for m in $(awk '$2 == "=>" && $3 ~ /^\.\/staging\// { print $1 }' "$mod"); do
	go mod edit -replace="$m=$m@$staging"
done
etcd=$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2 }' "$mod")
go get "k8s.io/kubernetes@$version" "go.etcd.io/etcd/server/v3@$etcd"
go mod tidy
echo "now on k8s.io/kubernetes $version (staging $staging, etcd $etcd); rebuild with: make kube-testenv"
