#!/usr/bin/env bash
# Builds the two peer hubs: OUTDIR/gohub (Go, from Debian's packages, GOPATH
# mode: there is no Go module proxy) and bench/peers/node/node_modules (npm ci).
# Idempotent; installs the two apt packages it needs when they are missing.
#
#   bench/peers/build.sh OUTDIR
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"
outdir="$(cd "$1" && pwd)"

# --- Go toolchain and gorilla/websocket from Debian ---------------------------
pkgs=(golang-go golang-github-gorilla-websocket-dev)
missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  echo "build.sh: installing ${missing[*]}" >&2
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; then
    # A fresh machine may have no package lists yet.
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

# Debian installs gorilla/websocket under /usr/share/gocode/src.
gopath=/usr/share/gocode
if [ ! -f "$gopath/src/github.com/gorilla/websocket/conn.go" ]; then
  echo "build.sh: gorilla/websocket not found under $gopath/src" >&2
  exit 1
fi
# The build cache lives beside the binary, so HOME need not be set.
GO111MODULE=off GOPATH="$gopath" GOCACHE="${GOCACHE:-$outdir/.go-cache}" GOFLAGS= \
  go build -o "$outdir/gohub" "$here/go/gohub.go"

# --- Node hub's dependencies ----------------------------------------------------
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "build.sh: node and npm are needed for the Node hub" >&2
  exit 1
fi
cd "$here/node"
# npm writes node_modules/.package-lock.json on every install.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "build.sh: $outdir/gohub ($(go version | awk '{print $3}')), $here/node/hub.js (ws $(node -p "require('ws/package.json').version"))"
