#!/usr/bin/env bash
# Unpacks Debian's rsync 3.2.7 build into .cache/rsync-3.2.7 (the second real peer of the interop tests).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.cache/rsync-3.2.7
[ -x "$dest/usr/bin/rsync" ] && exit 0
mkdir -p .cache/deb && cd .cache/deb
if ! ls rsync_3.2.7*.deb >/dev/null 2>&1; then
  apt-get download rsync=3.2.7-1+deb12u6 >/dev/null 2>&1 || { apt-get update -qq && apt-get download rsync=3.2.7-1+deb12u6; }
fi
cd ../..
dpkg -x .cache/deb/rsync_3.2.7*.deb "$dest"
"$dest/usr/bin/rsync" --version | head -1
