#!/usr/bin/env bash
# Installs Debian packages callpoint needs. Safe to run again: it calls apt-get only when
# something is missing. Needs root (CI and dev machines run as root).
#   install-peers.sh demo   what `callpoint demo` needs: the RTSP simulator (GStreamer) and
#                           what PyGObject builds against
#   install-peers.sh test   that, plus the real test peers (browser, rsyslog, ffmpeg...)
# Installs with --no-install-recommends, so every package needed is named here (a
# recommended one left out once cost every camera its picture: gstreamer1.0-x).
set -euo pipefail
demo=(
  # GStreamer elements of src/callpoint/sim/media/pipeline.py (ELEMENT_PACKAGES there)
  libgstreamer1.0-0           # capsfilter
  gstreamer1.0-plugins-base   # videotestsrc videoconvert appsink
  gstreamer1.0-plugins-good   # rtph264pay jpegenc
  gstreamer1.0-plugins-ugly   # x264enc
  gstreamer1.0-x              # textoverlay clockoverlay (Pango)
  fonts-dejavu-core           # the "Sans" font the overlays draw with
  gstreamer1.0-tools          # gst-inspect-1.0, which checks the elements below
  gstreamer1.0-plugins-bad gstreamer1.0-libav gstreamer1.0-rtsp
  # typelibs of GstRtspServer, Gst, GstApp, GstRtsp
  gir1.2-gst-rtsp-server-1.0 gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
  # PyGObject<3.51 is built from source in the venv
  libgirepository1.0-dev libcairo2-dev pkg-config python3-dev python3-venv
)
# Every element the simulator's pipelines use; tests/sim/media/test_pipeline_check.py
# keeps this list equal to pipeline.py's.
elements=(videotestsrc capsfilter textoverlay clockoverlay videoconvert x264enc rtph264pay jpegenc appsink)
test=(
  chromium                    # console tests (Playwright drives /usr/bin/chromium)
  ffmpeg                      # ffprobe checks the simulated streams
  iproute2                    # ip netns: multicast tests off the host network
  libgl1 libglib2.0-0
  rsyslog rsyslog-openssl openssl
  e2fsprogs                   # chattr: a file read-only even for root (store tests)
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
for e in "${elements[@]}"; do
  if ! gst-inspect-1.0 --exists "$e"; then
    echo "GStreamer element '$e' is still missing after the install" >&2
    exit 1
  fi
done
