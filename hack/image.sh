#!/usr/bin/env bash
# Build the operator image from the Dockerfile with buildah: no Docker engine, no image registry.
#
#   hack/image.sh            (make image)
#
# IMAGE (default localhost/eci-operator:<version>) is the tag; the images live in buildah's vfs
# storage under IMAGE_STORE (default .cache/image). PYTHON_BASE names a base image to pull; without
# it a base is assembled from Debian's packages (debootstrap: python3 and its venv module, bookworm,
# DEBIAN_MIRROR or debootstrap's default mirror) once and reused. PIP_INDEX_URL and PIP_CERT, when
# set, reach pip inside the build (the CA file is mounted read-only for the RUN step only).
# Needs root, buildah and, for the assembled base, debootstrap.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
version=$(awk -F'"' '$1 ~ /^version *= */ { print $2; exit }' "$repo/pyproject.toml")
image=${IMAGE:-localhost/eci-operator:$version}
store=${IMAGE_STORE:-$repo/.cache/image}
bah() { buildah --root "$store/storage" --runroot "$store/run" --storage-driver vfs "$@"; }

args=(--isolation chroot --network host --layers=false)
if [ -n "${PYTHON_BASE:-}" ]; then
	base=$PYTHON_BASE
else
	base=localhost/eci-operator-python-base:bookworm
	args+=(--pull-never)
	if ! bah inspect --type image "$base" >/dev/null 2>&1; then
		rootfs=$(mktemp -d "${TMPDIR:-/tmp}/eci-operator-base.XXXXXX")
		trap 'rm -rf "$rootfs"' EXIT
		debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
			bookworm "$rootfs" ${DEBIAN_MIRROR:+"$DEBIAN_MIRROR"}
		rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
			"$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*
		ctr=$(bah from scratch)
		bah copy --quiet "$ctr" "$rootfs/" /
		bah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			--cmd /usr/bin/python3 "$ctr"
		bah commit --quiet "$ctr" "$base" >/dev/null
		bah rm "$ctr" >/dev/null
	fi
fi
args+=(--build-arg "PYTHON_BASE=$base")
if [ -n "${PIP_INDEX_URL:-}" ]; then
	args+=(--build-arg "PIP_INDEX_URL=$PIP_INDEX_URL")
fi
if [ -n "${PIP_CERT:-}" ]; then
	args+=(--build-arg PIP_CERT=/run/pip-ca.crt --volume "$PIP_CERT:/run/pip-ca.crt:ro")
fi
bah bud "${args[@]}" --tag "$image" --file "$repo/Dockerfile" "$repo"
bah rmi --prune >/dev/null  # the image this one replaced under the same tag
echo "built $image in $store"
