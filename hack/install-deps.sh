#!/usr/bin/env bash
# Installs what the project needs on a fresh machine and does nothing when it is already
# there: the Debian packages listed in hack/apt-packages/*.txt, a check of the Go toolchain
# (the Kubernetes build needs it), and Node 24 (hack/ensure-node.sh).
source "$(dirname "$0")/lib.sh"

mapfile -t wanted < <(cat "$HACK_DIR"/apt-packages/*.txt | sed 's/#.*//' | awk 'NF {print $1}' | sort -u)
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "Debian packages missing and not root: apt-get install ${missing[*]}"
    sudo="sudo"
  fi
  log "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v go >/dev/null || die "Go is needed to build Kubernetes from the Go module proxy: install Go >= 1.24 (Debian: golang-go from bookworm-backports)"
gov="$(go env GOVERSION)"; gov="${gov#go}"
[[ "$(printf '%s\n1.24\n' "${gov%.*}" | sort -V | head -1)" == "1.24" ]] || die "Go $gov is too old: Kubernetes $KUBERNETES_VERSION needs Go >= 1.24"

"$HACK_DIR/ensure-node.sh" >/dev/null
