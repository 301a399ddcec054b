#!/usr/bin/env bash
# The README's worked example: make a recording with ffmpeg, cut three ad breaks out of it
# from a comskip-style EDL with `movdata cut`, and let ffmpeg and ffprobe check the result.
#
#   eng/media-example.sh DIR [MINUTES]
#
# DIR should be on the filesystem you care about (XFS, ext4 or btrfs cut without copying);
# MINUTES (default 10) sets the length. Needs ffmpeg and the published tool
# (dotnet publish src/MovData.Cli -c Release -o artifacts/aot).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: eng/media-example.sh DIR [MINUTES]}
minutes=${2:-10}
tool=$PWD/artifacts/aot/movdata
[ -x "$tool" ] || { echo "build the tool first: dotnet publish src/MovData.Cli -c Release -o artifacts/aot" >&2; exit 1; }
command -v ffmpeg >/dev/null || { echo "needs ffmpeg (apt-get install ffmpeg)" >&2; exit 1; }
mkdir -p "$dir"
rec=$dir/news.ts

echo "1. record $minutes minutes (H.264 640x360 + AAC, a keyframe every 2 s) with ffmpeg"
ffmpeg -v error -y -f lavfi -i testsrc2=size=640x360:rate=25 -f lavfi -i sine=frequency=440:sample_rate=48000 \
  -t $((minutes * 60)) -c:v libx264 -preset veryfast -g 50 -b:v 4M -c:a aac -f mpegts "$rec"
frames_before=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$rec" | head -n 1)
echo "   $(stat -c %s "$rec") bytes, $frames_before video frames"

echo "2. three ad breaks, as comskip writes them"
python3 - "$minutes" > "$dir/news.edl" <<'PY'
import sys
m = int(sys.argv[1]) * 60
print("# start end type (3 = commercial break)")
for a, b in ((0.20, 0.25), (0.50, 0.55), (0.80, 0.85)):
    print(f"{m * a:.2f}\t{m * b:.2f}\t3")
PY
sed 's/^/   /' "$dir/news.edl"

echo "3. movdata cut $rec --edl $dir/news.edl --json"
start=$(date +%s%N)
"$tool" cut "$rec" --edl "$dir/news.edl" --json | tee "$dir/cut.json" | sed 's/^/   /'
end=$(date +%s%N)
echo "   took $(( (end - start) / 1000000 )) ms (whole process)"

echo "4. the judge"
errors=$(ffmpeg -v error -copyts -i "$rec" -f null - 2>&1 | wc -l)
frames_after=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$rec" | head -n 1)
removed=$(python3 -c 'import json,sys; print(round(sum(r["to"] - r["from"] for r in json.load(open(sys.argv[1]))["removed"]) * 25))' "$dir/cut.json")
echo "   ffmpeg -v error -copyts: $errors error lines"
echo "   ffprobe: $frames_after video frames (before $frames_before, removed $removed at 25 fps)"
[ "$errors" = 0 ] && [ "$frames_after" = $((frames_before - removed)) ] && echo "check: OK" || { echo "check: FAILED"; exit 1; }
