#!/usr/bin/env bash
# Builds the VM machines' base image once and caches it (docs/architecture.md, "VM machines"):
# Debian bookworm from Debian's own packages (debootstrap), systemd, openssh-server, cloud-init,
# linux-image-amd64; an ext4 root file system written straight from the directory
# (mkfs.ext4 -d: no loop device, no partition table, no boot loader: qemu boots the kernel and
# initrd copied next to it), converted to qcow2. Every VM runs on a copy-on-write overlay of it.
#
# The cache key is this file's hash: change the recipe and the next run builds a new image.
# Prints the image's directory (base.qcow2, vmlinuz, initrd.img, recipe.sha256) on stdout.
# Concurrent callers wait on one lock, so a test suite builds it once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
recipe_hash=$(sha256sum "$here/build-image.sh" | cut -c1-16)
cache=${VPS_TEST_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vps-test/vm}
dir="$cache/bookworm-$recipe_hash"
mirror=${VPS_TEST_DEBIAN_MIRROR:-http://deb.debian.org/debian}
log() { echo "vm image: $*" >&2; }

[ -f "$dir/ready" ] && { echo "$dir"; exit 0; }
[ "$(id -u)" -eq 0 ] || { echo "building the VM image needs root (debootstrap, chroot)" >&2; exit 1; }
bash "$here/../install-vm-deps.sh" >&2
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
[ -f "$dir/ready" ] && { echo "$dir"; exit 0; }

work=$(mktemp -d "$cache/.build.XXXXXX")
root="$work/root"
cleanup() {
  for m in dev/pts dev proc sys; do umount -l "$root/$m" 2>/dev/null || true; done
  # never delete through a mount that is still there
  if [ -n "$(findmnt -rn -o TARGET | grep -F "$root/" || true)" ]; then echo "vm image: mounts left under $root, not removing it" >&2; return; fi
  [ -f "$work/build.log" ] && cp "$work/build.log" "$cache/last-build.log"
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
started=$(date +%s)

# What a lab machine needs: systemd and sshd; cloud-init (+ ifupdown, the renderer Debian's own
# cloud images use) for the seed; the tools the lab's recipes, deploy and suites run on a node.
packages=systemd,systemd-sysv,udev,dbus,openssh-server,cloud-init,ifupdown,linux-image-amd64,iproute2,iputils-ping,nftables,conntrack,procps,zstd,gzip,netbase,ca-certificates,less,kmod
log "debootstrap bookworm ($mirror) into $root"
# A minimal base first, then apt inside it: apt resolves the packages' dependencies, which
# debootstrap's --include does not fully do.
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/build.log" 2>&1 || {
  tail -20 "$work/build.log" >&2; echo "(log: $cache/last-build.log)" >&2; exit 1; }
mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
# no service starts inside the chroot
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
log "installing ${packages//,/ }"
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$work/build.log" 2>&1
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${packages//,/ } >>"$work/build.log" 2>&1 || {
  tail -20 "$work/build.log" >&2; echo "(log: $cache/last-build.log)" >&2; exit 1; }
rm -f "$root/usr/sbin/policy-rc.d"

log "configuring the guest"
cat >"$root/etc/fstab" <<'FSTAB'
/dev/vda / ext4 defaults,noatime 0 1
FSTAB
echo vps-test-vm >"$root/etc/hostname"
# cloud-init: only our NoCloud seed (no network probing for other clouds), ssh keys from it.
# Only the modules a lab machine or a droplet's user_data uses (each one is Python run under
# emulation, seconds apiece); locale is left out because the image has no locales package.
cat >"$root/etc/cloud/cloud.cfg.d/90-vps-test.cfg" <<'CFG'
datasource_list: [ NoCloud, None ]
datasource:
  NoCloud:
    fs_label: cidata
cloud_init_modules: [seed_random, bootcmd, write_files, set_hostname, update_hostname, update_etc_hosts, users_groups, ssh]
cloud_config_modules: [set_passwords, runcmd]
cloud_final_modules: [package_update_upgrade_install, write_files_deferred, scripts_vendor, scripts_per_once, scripts_per_boot, scripts_per_instance, scripts_user, final_message]
CFG
# Host keys come from the seed (ours, so the first connection is verified): none baked in.
rm -f "$root"/etc/ssh/ssh_host_*
# A fresh machine id per boot (each overlay is a new machine).
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
# Nothing periodic, and no boot work a lab machine does not need, competing for the emulated CPU
# (measured with systemd-analyze blame in a guest: e2scrub_reap alone took 18 s of a 70 s boot).
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer man-db.timer systemd-tmpfiles-clean.timer \
  e2scrub_reap.service systemd-binfmt.service systemd-pstore.service dev-hugepages.mount dev-mqueue.mount \
  sys-kernel-debug.mount sys-kernel-tracing.mount sys-fs-fuse-connections.mount \
  modprobe@drm.service modprobe@fuse.service modprobe@efi_pstore.service modprobe@dm_mod.service; do
  chroot "$root" systemctl mask "$unit" >/dev/null 2>&1 || true
done
# -cpu max shows the guest SVM/VMX: udev would load KVM modules nobody uses
printf 'blacklist kvm\nblacklist kvm_amd\nblacklist kvm_intel\nblacklist pcspkr\n' >"$root/etc/modprobe.d/90-vps-test.conf"
# An initramfs with the few modules a qemu guest boots from, not Debian's "most" (30 MB that the
# emulated CPU decompresses and probes on every boot)
printf 'MODULES=list\nCOMPRESS=zstd\n' >"$root/etc/initramfs-tools/conf.d/90-vps-test.conf"
printf 'virtio_pci\nvirtio_blk\nvirtio_net\next4\ncrc32c_generic\n' >>"$root/etc/initramfs-tools/modules"
chroot "$root" update-initramfs -u -k all >>"$work/build.log" 2>&1
chroot "$root" systemctl mask getty@tty1.service >/dev/null 2>&1 || true
mkdir -p "$root/etc/systemd/system.conf.d"
printf '[Manager]\nDefaultTimeoutStartSec=60s\nDefaultTimeoutStopSec=10s\n' >"$root/etc/systemd/system.conf.d/90-vps-test.conf"
# The serial console is the boot log the launcher keeps.
chroot "$root" systemctl enable serial-getty@ttyS0.service >/dev/null 2>&1 || true
chroot "$root" apt-get clean
for m in dev/pts dev proc sys; do umount -l "$root/$m"; done
rm -rf "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/var/log/*.log

mkdir -p "$work/out"
cp "$(ls "$root"/boot/vmlinuz-* | sort -V | tail -1)" "$work/out/vmlinuz"
cp "$(ls "$root"/boot/initrd.img-* | sort -V | tail -1)" "$work/out/initrd.img"
log "ext4 root file system"
truncate -s 3G "$work/root.raw"
mkfs.ext4 -q -F -L vtroot -d "$root" "$work/root.raw"
qemu-img convert -O qcow2 "$work/root.raw" "$work/out/base.qcow2"
echo "$recipe_hash" >"$work/out/recipe.sha256"
rm -rf "$dir"
mv "$work/out" "$dir"
touch "$dir/ready"
log "built $dir in $(( $(date +%s) - started )) s ($(du -sh "$dir/base.qcow2" | cut -f1))"
echo "$dir"
