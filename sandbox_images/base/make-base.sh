#!/usr/bin/env bash
# Make a Debian bookworm base image without a container registry:
# debootstrap a minimal root filesystem from the Debian archive apt already uses, then `docker import` it.
# Usage: make-base.sh [IMAGE_NAME] [MIRROR]   (run as root; needs debootstrap and a running Docker engine)
set -euo pipefail

image="${1:-codeforge-base:bookworm}"
mirror="${2:-}"

if [ "$(id -u)" != 0 ]; then
  echo "make-base.sh: debootstrap needs root. Run it with sudo, or pass --base debian:bookworm-slim where a registry answers." >&2
  exit 2
fi
command -v debootstrap >/dev/null || { echo "make-base.sh: debootstrap is missing: apt-get install -y debootstrap" >&2; exit 2; }

if [ -z "$mirror" ]; then
  # Use the mirror apt already talks to (deb822 .sources or one-line .list), else Debian's own.
  mirror=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n 1 || true)
  [ -n "$mirror" ] || mirror=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | awk '{print $2}' | grep -v security | head -n 1 || true)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
fi

root=$(mktemp -d /var/tmp/codeforge-base.XXXXXX)
trap 'rm -rf "$root"' EXIT

debootstrap --variant=minbase bookworm "$root" "$mirror"
# Keep images small: no apt caches, no docs or locales beyond what is needed.
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
tar -C "$root" --numeric-owner -c . | docker import --change 'CMD ["/bin/bash"]' - "$image"
echo "made $image from $mirror"
