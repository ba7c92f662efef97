#!/usr/bin/env bash
# Builds the Debian package of the server: scripts/build-deb.sh BUILD_DIR [OUT_DIR]
# The binary from BUILD_DIR (stripped), /etc/parley/parley.toml (a conffile), /var/lib/parley, the hardened systemd
# unit, the sysusers entry, the man page and the package's documentation; dependencies from dpkg-shlibdeps. Prints
# the path of the .deb it wrote. `make deb` runs it; tests/packaging checks the result (lintian, dpkg --root,
# systemd-analyze verify).
set -euo pipefail
build_dir=$(cd "${1:?usage: build-deb.sh BUILD_DIR [OUT_DIR]}" && pwd)
out_dir=$(mkdir -p "${2:-$build_dir/deb}" && cd "${2:-$build_dir/deb}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
packaging="$root/packaging/debian"
binary="$build_dir/src/app/parley"
[ -x "$binary" ] || { echo "no binary at $binary: build first" >&2; exit 1; }

version=$(sed -n 's/^project(parley VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")-1
arch=$(dpkg --print-architecture)
stage=$(mktemp -d "$out_dir/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
pkg="$stage/parley"

install -d -m 0755 "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/etc/parley" "$pkg/var/lib/parley" \
  "$pkg/lib/systemd/system" "$pkg/usr/lib/sysusers.d" "$pkg/usr/share/doc/parley" "$pkg/usr/share/man/man1"
install -m 0755 "$binary" "$pkg/usr/bin/parley"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$pkg/usr/bin/parley"
install -m 0644 "$packaging/parley.toml" "$pkg/etc/parley/parley.toml"
install -m 0644 "$packaging/parley.service" "$pkg/lib/systemd/system/parley.service"
install -m 0644 "$packaging/parley.sysusers" "$pkg/usr/lib/sysusers.d/parley.conf"
install -m 0644 "$packaging/copyright" "$pkg/usr/share/doc/parley/copyright"
install -m 0644 "$root/docs/OPERATIONS.md" "$pkg/usr/share/doc/parley/OPERATIONS.md"
sed "s/@VERSION@/$version/" "$packaging/parley.1" | gzip -9n > "$pkg/usr/share/man/man1/parley.1.gz"
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$(LC_ALL=C date -R -d @"${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}")/" \
  "$packaging/changelog" | gzip -9n > "$pkg/usr/share/doc/parley/changelog.Debian.gz"
chmod 0644 "$pkg/usr/share/man/man1/parley.1.gz" "$pkg/usr/share/doc/parley/changelog.Debian.gz"
install -m 0755 "$packaging/postinst" "$packaging/prerm" "$packaging/postrm" "$pkg/DEBIAN/"
echo "/etc/parley/parley.toml" > "$pkg/DEBIAN/conffiles"

# Shared-library dependencies as dpkg-shlibdeps finds them (it wants a debian/control to stand in).
mkdir -p "$stage/debian"
printf 'Source: parley\n\nPackage: parley\nArchitecture: any\n' > "$stage/debian/control"
depends=$(cd "$stage" && dpkg-shlibdeps -O -e"parley/usr/bin/parley" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
size=$(du -k -s --exclude=DEBIAN "$pkg" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@DEPENDS@/$depends/" \
  "$packaging/control.in" > "$pkg/DEBIAN/control"
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | sort | xargs md5sum) > "$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/conffiles" "$pkg/DEBIAN/md5sums"

deb="$out_dir/parley_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "$deb"
