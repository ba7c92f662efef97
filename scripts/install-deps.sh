#!/usr/bin/env bash
# Installs the Debian packages listed in scripts/apt-packages.txt that are missing; does nothing when all are present.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t wanted < <(grep -v '^\s*#' "$here/apt-packages.txt" | sed '/^\s*$/d')
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# Debian's nodejs ships npm as its own package; the NodeSource build bundles it (and conflicts with Debian's npm).
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing missing packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The front end's npm packages, exactly as package-lock.json pins them: web/ (Vite, Preact, ...: the admin app and
# the widget, built into the binary), tests/web/ (Vitest, jsdom, playwright-core) and tests/api/clients/ (the
# openai and Vercel AI SDK clients). Reinstalled only when a lock
# file changed; nothing is downloaded during the build or the tests.
root=$(cd "$here/.." && pwd)
for dir in web tests/web tests/api/clients; do
  lock="$root/$dir/package-lock.json"
  installed="$root/$dir/node_modules/.package-lock.json"
  if [ ! -f "$installed" ] || [ "$lock" -nt "$installed" ]; then
    echo "Installing npm packages in $dir/"
    (cd "$root/$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
