#!/usr/bin/env bash
# Installs the Debian packages VM machines need (docs/architecture.md, "VM machines"): qemu to
# run guests, qemu-img for overlays, debootstrap to build the base image, xorriso to write the
# NoCloud seed. Large (~300 MB), so only the VM path and the VM tests call this, never the
# lab's own install-system-deps.sh. Safe to run repeatedly; needs root (or prints what to install).
set -euo pipefail
declare -A need=(
  [qemu-system-x86_64]=qemu-system-x86 [qemu-img]=qemu-utils [qemu-nbd]=qemu-utils
  [debootstrap]=debootstrap [xorriso]=xorriso [mkfs.ext4]=e2fsprogs [sfdisk]=fdisk
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || [ -x "/sbin/$cmd" ] || missing+=("${need[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "VM machines need these packages: $pkgs (install them as root, e.g. apt-get install $pkgs)" >&2
  exit 1
fi
echo "installing Debian packages for VM machines: $pkgs"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
