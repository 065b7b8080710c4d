#!/usr/bin/env bash
# Installs Debian packages callpoint needs. Safe to run again: it calls apt-get only when
# something is missing. Needs root (CI and dev machines run as root).
#   install-peers.sh demo   what `callpoint demo` needs: the RTSP simulator (GStreamer) and
#                           the headers PyGObject builds against
#   install-peers.sh test   that, plus the real test peers (browser, rsyslog, ffmpeg...)
set -euo pipefail
demo=(
  gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-rtsp
  gir1.2-gst-rtsp-server-1.0 libgirepository1.0-dev libcairo2-dev pkg-config
)
test=(
  chromium
  ffmpeg
  iproute2
  libgl1 libglib2.0-0
  rsyslog rsyslog-openssl openssl
)
case "${1:-test}" in
  demo) pkgs=("${demo[@]}") ;;
  test) pkgs=("${demo[@]}" "${test[@]}") ;;
  *) echo "usage: $0 demo|test" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then echo "need root to install: ${missing[*]}" >&2; exit 1; fi
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
