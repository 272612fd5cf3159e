#!/usr/bin/env bash
# Installs the Debian packages vps-test's lab and tests use, when any is missing.
# Safe to run repeatedly; needs root (or prints what to install).
# VM machines (machine: vm) need more, and large, packages: scripts/install-vm-deps.sh.
set -euo pipefail
declare -A need=(
  [ip]=iproute2 [tc]=iproute2 [nft]=nftables [sshd]=openssh-server [ssh]=openssh-client
  [scp]=openssh-client [ssh-keygen]=openssh-client [conntrack]=conntrack [turnserver]=coturn
  [turnutils_natdiscovery]=coturn [objdump]=binutils [file]=file [ss]=iproute2 [setsid]=util-linux
  [tmux]=tmux [sudo]=sudo [zstd]=zstd [gzip]=gzip [sha256sum]=coreutils [pgrep]=procps [iptables-nft]=iptables
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${need[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "vps-test needs these packages: $pkgs (install them as root, e.g. apt-get install $pkgs)" >&2
  exit 1
fi
echo "installing Debian packages: $pkgs"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# coturn's package starts nothing by default; our tests run turnserver themselves.
apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
