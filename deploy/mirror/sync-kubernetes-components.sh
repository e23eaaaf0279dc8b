#!/usr/bin/env bash
# Fills a Kubernetes components mirror for BYOOS build workers (byoos.worker.kubernetes-components.mirror,
# env BYOOS_KUBERNETES_MIRROR) from the upstream downloads: kubeadm, kubelet and kubectl from
# dl.k8s.io, containerd, the CNI plugins and crictl from their GitHub releases, each with its
# checksum sidecar, in the upstream paths:
#
#   kubernetes/v{K}/bin/linux/{arch}/kubeadm|kubelet|kubectl        (+ .sha256, hex only)
#   containerd/v{C}/containerd-{C}-linux-{arch}.tar.gz               (+ .sha256sum, "hex  name")
#   cni-plugins/v{N}/cni-plugins-linux-{arch}-v{N}.tgz               (+ .sha256, "hex  name")
#   cri-tools/v{R}/crictl-v{R}-linux-{arch}.tar.gz                   (+ .sha256, "hex  name")
#
# Every file is checked against its sidecar before it is kept; a file that does not match is
# deleted and the script fails. Files already in the mirror that match their sidecar are not
# downloaded again. For an air-gapped site, run it where the internet is reachable and copy the
# directory across (or to an S3 bucket: aws s3 sync DIR s3://bucket/prefix). It also prints a
# pinned checksums list (byoos.worker.kubernetes-components.checksums-file) with --checksums FILE.
#
# Not run by the project's tests: the machines they run on cannot reach dl.k8s.io or GitHub.
# The local stack uses development stand-ins in the same layout instead (deploy/devstack,
# KubernetesStandInMirror).
#
# usage: sync-kubernetes-components.sh --mirror DIR --kubernetes 1.30.4 --containerd 1.7.13 \
#            --cni 1.3.0 --crictl 1.28.0 [--arch amd64] [--checksums FILE]
#        Several --kubernetes (or other) options may be given, to fill several releases at once.
set -euo pipefail

usage() {
  sed -n '/^# usage:/,/^#        Several/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

mirror=""
arch="amd64"
checksums=""
kubernetes=()
containerd=()
cni=()
crictl=()
while [ $# -gt 0 ]; do
  case "$1" in
    --mirror) mirror="${2:?}"; shift 2 ;;
    --arch) arch="${2:?}"; shift 2 ;;
    --checksums) checksums="${2:?}"; shift 2 ;;
    --kubernetes) kubernetes+=("${2#v}"); shift 2 ;;
    --containerd) containerd+=("${2#v}"); shift 2 ;;
    --cni) cni+=("${2#v}"); shift 2 ;;
    --crictl) crictl+=("${2#v}"); shift 2 ;;
    *) usage ;;
  esac
done
[ -n "$mirror" ] || usage
[ ${#kubernetes[@]} -gt 0 ] || [ ${#containerd[@]} -gt 0 ] || [ ${#cni[@]} -gt 0 ] || [ ${#crictl[@]} -gt 0 ] || usage
for version in "${kubernetes[@]}" "${containerd[@]}" "${cni[@]}" "${crictl[@]}"; do
  [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]] || { echo "not a version: $version" >&2; exit 2; }
done
[[ "$arch" =~ ^[a-z0-9]+$ ]] || { echo "not an architecture: $arch" >&2; exit 2; }
command -v curl >/dev/null && command -v sha256sum >/dev/null || { echo "needs curl and sha256sum" >&2; exit 1; }

# fetch URL PATH: downloads URL to PATH (relative to the mirror) unless it is there already.
fetch() {
  local url="$1" path="$mirror/$2"
  mkdir -p "$(dirname "$path")"
  if [ ! -s "$path" ]; then
    echo "  $url"
    curl --fail --silent --show-error --location --retry 3 --output "$path.partial" "$url"
    mv "$path.partial" "$path"
  fi
}

# verify PATH SIDECAR: the first field of the sidecar is the file's sha256; a mismatch deletes the file.
verify() {
  local path="$mirror/$1" expected actual
  expected="$(awk '{print $1; exit}' "$mirror/$2")"
  actual="$(sha256sum "$path" | awk '{print $1}')"
  if [ "$expected" != "$actual" ]; then
    echo "sha256 mismatch for $1: the sidecar says $expected, the file has $actual; deleted" >&2
    rm -f -- "$path"
    exit 1
  fi
  echo "  ok $1"
}

# artifact URL PATH SIDECAR_SUFFIX: the file, its sidecar, and the check.
artifact() {
  fetch "$1$3" "$2$3"
  fetch "$1" "$2"
  verify "$2" "$2$3"
}

for version in "${kubernetes[@]}"; do
  for binary in kubeadm kubelet kubectl; do
    artifact "https://dl.k8s.io/release/v$version/bin/linux/$arch/$binary" \
      "kubernetes/v$version/bin/linux/$arch/$binary" .sha256
  done
done
for version in "${containerd[@]}"; do
  file="containerd-$version-linux-$arch.tar.gz"
  artifact "https://github.com/containerd/containerd/releases/download/v$version/$file" \
    "containerd/v$version/$file" .sha256sum
done
for version in "${cni[@]}"; do
  file="cni-plugins-linux-$arch-v$version.tgz"
  artifact "https://github.com/containernetworking/plugins/releases/download/v$version/$file" \
    "cni-plugins/v$version/$file" .sha256
done
for version in "${crictl[@]}"; do
  file="crictl-v$version-linux-$arch.tar.gz"
  artifact "https://github.com/kubernetes-sigs/cri-tools/releases/download/v$version/$file" \
    "cri-tools/v$version/$file" .sha256
done

if [ -n "$checksums" ]; then
  # Every artifact of the mirror, as sha256sum writes it, paths relative to the mirror.
  (cd "$mirror" && find . -type f ! -name '*.sha256' ! -name '*.sha256sum' ! -name '*.partial' \
    | sed 's|^\./||' | LC_ALL=C sort | xargs -r sha256sum) > "$checksums"
  echo "pinned checksums written to $checksums"
fi
echo "mirror ready: $mirror"
