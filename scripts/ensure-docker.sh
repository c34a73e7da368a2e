#!/usr/bin/env bash
# Make sure a Docker engine answers. As root, install Debian's engine when it is missing and start it
# with no bridge network (sandbox containers use no network; builds use the host's). Otherwise say what
# to do. Also installs debootstrap, which `codeforge sandbox build` needs where no registry answers.
set -euo pipefail

log=/var/log/codeforge-dockerd.log

if docker info >/dev/null 2>&1; then
  echo "docker: engine answers"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  cat >&2 <<'MSG'
docker: no engine answers and you are not root, so it cannot be installed here.
Fix: install Docker (Debian: sudo apt-get install docker.io), start it, and add yourself to the
`docker` group; or run `make test` as root. `codeforge sandbox doctor` checks the result.
MSG
  exit 1
fi

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  echo "docker: installing ${missing[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "docker: starting dockerd (log: $log)"
# --bridge=none: no default network, so no container can ever reach the host's private ranges.
nohup setsid dockerd --bridge=none --iptables=false --ip-masq=false >"$log" 2>&1 </dev/null &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    echo "docker: engine answers"
    exit 0
  fi
  sleep 1
done
echo "docker: dockerd did not answer within 60 s; the end of $log:" >&2
tail -n 20 "$log" >&2
exit 1
