#!/usr/bin/env bash
# The README's MP4 worked example: record a phone-style clip with ffmpeg (H.264 + AAC, moov
# at the end as phones, cameras and OBS write it), trim its first seconds, cut one part out,
# and let ffmpeg and ffprobe check what is left.
#
#   eng/mp4-example.sh DIR [MINUTES]
#
# DIR should be on the filesystem you care about (XFS, ext4 or btrfs cut without copying);
# MINUTES (default 2) sets the length. Needs ffmpeg and the published tool
# (dotnet publish src/MovData.Cli -c Release -o artifacts/aot).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: eng/mp4-example.sh DIR [MINUTES]}
minutes=${2:-2}
tool=$PWD/artifacts/aot/movdata
[ -x "$tool" ] || { echo "build the tool first: dotnet publish src/MovData.Cli -c Release -o artifacts/aot" >&2; exit 1; }
command -v ffmpeg >/dev/null || { echo "needs ffmpeg (apt-get install ffmpeg)" >&2; exit 1; }
mkdir -p "$dir"
clip=$dir/clip.mp4

frames() { ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1" | head -n 1; }
durations() { ffprobe -v error -show_entries stream=codec_type,duration -of csv=p=0 "$1" | tr '\n' ' '; }
# One cut as a whole process, its JSON into $1 and shown, then its time in milliseconds.
cut_timed() {
  local out=$1 t0 t1
  shift
  t0=$(date +%s%N)
  "$tool" cut "$clip" "$@" --json > "$out"
  t1=$(date +%s%N)
  sed 's/^/   /' "$out"
  echo "   took $(( (t1 - t0) / 1000000 )) ms (whole process)"
}

echo "1. record $minutes minutes as a phone does (H.264 1280x720 30 fps, a keyframe a second, AAC, moov at the end)"
ffmpeg -v error -y -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 \
  -t $((minutes * 60)) -c:v libx264 -preset veryfast -profile:v high -bf 2 -g 30 -b:v 8M -c:a aac -b:a 128k "$clip"
before=$(frames "$clip")
echo "   $(stat -c %s "$clip") bytes, $before video frames; streams (type,duration): $(durations "$clip")"

echo "2. movdata info $clip"
"$tool" info "$clip" | sed 's/^/   /'

echo "3. trim the first 3 seconds: movdata cut $clip --remove 0-3 --json"
cut_timed "$dir/trim.json" --remove 0-3

echo "4. cut 40 s to 55 s (of what is left) out: movdata cut $clip --remove 40-55 --json"
cut_timed "$dir/cut.json" --remove 40-55

echo "5. the judge"
errors=$(ffmpeg -v error -i "$clip" -map 0 -f null - 2>&1 | wc -l)
after=$(frames "$clip")
removed=$(python3 -c 'import json,sys; print(round(sum(r["to"] - r["from"] for f in sys.argv[1:] for r in json.load(open(f))["removed"]) * 30))' "$dir/trim.json" "$dir/cut.json")
first=$(ffprobe -v error -select_streams v:0 -show_entries packet=flags -read_intervals '%+#1' -of csv=p=0 "$clip" | head -n 1)
echo "   ffmpeg -v error: $errors error lines"
echo "   ffprobe: $after video frames (before $before, removed $removed at 30 fps); the first packet's flags: $first"
echo "   streams (type,duration): $(durations "$clip")"
sums=$(python3 -c 'import json,sys; r = [json.load(open(f)) for f in sys.argv[1:]]; print("{:,} bytes written, {:,} copied".format(sum(x["bytesWritten"] for x in r), sum(x["bytesCopied"] for x in r)))' "$dir/trim.json" "$dir/cut.json")
echo "   both cuts: $sums; the file is now $(stat -c %s "$clip") bytes"
[ "$errors" = 0 ] && [ "$after" = $((before - removed)) ] && [[ $first == K* ]] && echo "check: OK" || { echo "check: FAILED"; exit 1; }
