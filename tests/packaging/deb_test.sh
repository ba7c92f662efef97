#!/usr/bin/env bash
# The Debian package: built by scripts/build-deb.sh from the build's binary, lintian without errors, installed with
# dpkg into a throwaway root (maintainer scripts included, run chrootless against that root), its files checked,
# its systemd unit verified by systemd-analyze, and its default settings accepted by the packaged binary.
# Usage: tests/packaging/deb_test.sh BUILD_DIR
set -euo pipefail
build_dir=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

deb=$("$root/scripts/build-deb.sh" "$build_dir" "$work/out")
[ -f "$deb" ] || fail "no package written"
echo "built $deb ($(du -h "$deb" | cut -f1))"

# lintian: no errors (warnings are reported, not fatal).
lintian --fail-on error --tag-display-limit 0 "$deb" | tee "$work/lintian.txt" || fail "lintian reports errors"
grep -q '^E:' "$work/lintian.txt" && fail "lintian errors"

# Contents and metadata.
dpkg-deb --field "$deb" Package Version Architecture Depends > "$work/fields"
grep -q '^Package: parley$' "$work/fields" || fail "package name"
grep -q '^Depends: .*libsqlite3-0' "$work/fields" || fail "shared-library dependencies missing: $(cat "$work/fields")"
dpkg-deb --contents "$deb" > "$work/contents"
for path in ./usr/bin/parley ./etc/parley/parley.toml ./lib/systemd/system/parley.service ./var/lib/parley/ \
            ./usr/lib/sysusers.d/parley.conf ./usr/share/doc/parley/copyright ./usr/share/man/man1/parley.1.gz; do
  grep -q " $path\$" "$work/contents" || fail "the package lacks $path"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/parley/parley.toml || fail "parley.toml is not a conffile"

# Installed with dpkg into a throwaway root; the maintainer scripts run chrootless with DPKG_ROOT set.
target="$work/root"
mkdir -p "$target/var/lib/dpkg/info" "$target/var/lib/dpkg/updates" "$target/var/lib/dpkg/triggers" "$target/etc"
touch "$target/var/lib/dpkg/status" "$target/var/lib/dpkg/available"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$target/etc/passwd"
printf 'root:x:0:\n' > "$target/etc/group"
dpkg --root="$target" --force-depends --force-script-chrootless --log=/dev/null -i "$deb" > "$work/dpkg.txt" 2>&1 \
  || { cat "$work/dpkg.txt"; fail "dpkg -i into the throwaway root failed"; }
dpkg --root="$target" -s parley | grep -q '^Status: install ok installed$' || fail "dpkg does not list parley as installed"
[ -x "$target/usr/bin/parley" ] || fail "/usr/bin/parley is not installed"
[ -d "$target/var/lib/parley" ] || fail "/var/lib/parley is not installed"
grep -q '^parley:' "$target/etc/passwd" || fail "the parley user was not created in the root"
grep -q '^parley:' "$target/etc/group" || fail "the parley group was not created in the root"
grep -q '^ProtectSystem=strict$' "$target/lib/systemd/system/parley.service" || fail "the unit is not hardened"
for setting in 'User=parley' 'NoNewPrivileges=yes' 'PrivateTmp=yes' 'Restart=on-failure' 'ExecReload=/bin/kill -HUP $MAINPID'; do
  grep -qxF "$setting" "$target/lib/systemd/system/parley.service" || fail "the unit lacks $setting"
done
[ -L "$target/etc/systemd/system/multi-user.target.wants/parley.service" ] || fail "the service is not enabled in the root"

# systemd's own check of the installed unit. The throwaway root has no systemd targets, /bin/kill or man pages, so
# the unit is verified against this system, with its ExecStart pointed at the binary installed in the root.
mkdir -p "$work/unit"
sed "s|/usr/bin/parley|$target/usr/bin/parley|" "$target/lib/systemd/system/parley.service" > "$work/unit/parley.service"
systemd-analyze verify --man=no "$work/unit/parley.service" > "$work/verify.txt" 2>&1 ||
  { cat "$work/verify.txt"; fail "systemd-analyze verify"; }
[ -s "$work/verify.txt" ] && { cat "$work/verify.txt"; fail "systemd-analyze verify has complaints"; }

# The packaged binary runs, and accepts the packaged settings.
"$target/usr/bin/parley" --help > /dev/null || fail "the packaged binary does not run"
data="$work/data"
PARLEY_CONFIG="$target/etc/parley/parley.toml" "$target/usr/bin/parley" --data "$data" init > "$work/init.txt" \
  || fail "init with the packaged settings"
grep -q 'Kept the settings' "$work/init.txt" || fail "init overwrote the packaged parley.toml"
PARLEY_CONFIG="$target/etc/parley/parley.toml" "$target/usr/bin/parley" --data "$data" doctor > "$work/doctor.txt" || true
grep -q '^ok    configuration' "$work/doctor.txt" || { cat "$work/doctor.txt"; fail "doctor rejects the packaged settings"; }

# Removal leaves the root clean of the package's files but its conffile (until purge).
dpkg --root="$target" --force-depends --force-script-chrootless --log=/dev/null -r parley > "$work/remove.txt" 2>&1 \
  || { cat "$work/remove.txt"; fail "dpkg -r"; }
[ -e "$target/usr/bin/parley" ] && fail "/usr/bin/parley is left after removal"
[ -e "$target/etc/parley/parley.toml" ] || fail "the conffile went before purge"
echo "package ok"
