#!/usr/bin/env bash
# What a cut of a real recording costs: `movdata cut` against one `ffmpeg -c copy` pass,
# against today's byte-level `movdata collapse` of the same ranges, and against its floor:
# bench/media-floor.c replaying exactly the calls the cut made to the disk (its --timings
# JSON: record, collapses or clones, writes with their bytes, syncs) in one small process on a fresh copy
# (as root: it loop-mounts its own XFS, ext4 and btrfs images). Then its undo: the same cut
# with --save-removed and `movdata restore`, timed side by side, the result checked by SHA-256.
#
#   sudo bench/media-cut.sh            about 2 GiB and 256 MiB recordings, three ad breaks each,
#                                      on xfs, ext4 and btrfs, page cache warm and cold; writes
#                                      docs/benchmarks-media.md (bench/media-report.py) and the
#                                      raw numbers to bench/results/media/
#   sudo bench/media-cut.sh --smoke    a 64 MiB recording, one run, xfs only, into artifacts/
#   sudo bench/media-cut.sh --mp4      the same for MP4 (moov at the end, as phones and OBS
#                                      write it): the recordings remuxed into MP4 by ffmpeg;
#                                      docs/benchmarks-media-mp4.md, bench/results/media-mp4/
#                                      (--mp4 --smoke: 64 MiB, one run, xfs)
#
# The recordings are made by ffmpeg (H.264 + AAC, 1280x720, a keyframe every 2 s): a minute
# of video is encoded once and looped with -stream_loop -c copy to the size wanted (so the
# timeline runs on), with the sound encoded for the whole length. Each figure is the median
# of the runs; each run cuts a fresh copy. The sources are checked by ffmpeg once.
# MOVDATA_BENCH_ROOT moves the images and recordings (default /var/tmp/movdata-bench-media).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/media-cut.sh: run as root (it mounts loop images)" >&2; exit 1; }

bash eng/deps.sh

smoke= format=ts
for arg in "$@"; do
  case $arg in
    --smoke) smoke=1 ;;
    --mp4) format=mp4 ;;
    *) echo "bench/media-cut.sh: unknown argument $arg (give --smoke, --mp4 or neither)" >&2; exit 2 ;;
  esac
done
# Where the results of each format go: MPEG-TS keeps the names it had before MP4 came.
suffix=$([ "$format" = ts ] && echo || echo "-$format")
if [ -n "$smoke" ]; then
  root=/var/tmp/movdata-bench-media-smoke sizes=(64) fss=(xfs) runs=1 out=artifacts/bench-media$suffix docs=
  export MOVDATA_IMAGE_SIZE=1G
else
  root=${MOVDATA_BENCH_ROOT:-/var/tmp/movdata-bench-media} sizes=(256 2048) fss=(xfs ext4 btrfs) runs=3 out=bench/results/media$suffix docs=docs/benchmarks-media$suffix.md
  # A 2 GiB recording, a fresh copy of it, the ffmpeg pass's output and the collapse's copy.
  export MOVDATA_IMAGE_SIZE=12G
fi
mkdir -p "$out"
# Scratch of the run (the last cut's JSON, peak memory, digests judged), not results.
work=$(mktemp -d)
dotnet publish src/MovData.Cli -c Release -o artifacts/aot -nologo -v quiet
tool=$PWD/artifacts/aot/movdata
gcc -O2 -Wall -Wextra -Werror -o "$work/media-floor" bench/media-floor.c

trap 'bash eng/scratch-fs.sh down "$root"; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
line=$(bash eng/scratch-fs.sh up "$root")
export "${line?}"
mnt() { echo "$MOVDATA_SCRATCH" | tr ';' '\n' | sed -n "s|^$1=||p"; }

# The source: one minute, encoded once (kept between runs under $root/src).
src=$root/src
mkdir -p "$src"
if [ ! -s "$src/minute.ts" ]; then
  ffmpeg -v error -y -f lavfi -i testsrc2=size=1280x720:rate=25 -t 60 \
    -c:v libx264 -preset ultrafast -g 50 -qp 14 -an -f mpegts "$src/minute.tmp" && mv "$src/minute.tmp" "$src/minute.ts"
fi
minute_bytes=$(stat -c %s "$src/minute.ts")

now_ns() { date +%s%N; }
ms() { python3 -c "print(f'{($2 - $1) / 1e6:.1f}')" "$@"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
# Sectors the filesystem's loop device wrote (after a sync), in bytes.
device_written() {
  local dev sectors
  dev=$(findmnt -no SOURCE --target "$1")
  sync -f "$1"
  read -r _ _ _ _ _ _ sectors _ < "/sys/block/$(basename "$dev")/stat"
  echo $((sectors * 512)) # in the shell: awk's numbers lose digits past 2^31
}

load_before=$(cut -d' ' -f1 /proc/loadavg)
results=$out/results.tsv
printf 'fs\tsize_mib\tduration_s\tcontender\trun\tms\tmax_rss_kib\tbytes_written\tbytes_copied\tdevice_written\treads\tbytes_read\tcut_points\tplan_ms\tindex_bytes\n' > "$results"

# One cut, as a whole process, of a fresh copy; cold: with nothing cached. Prints the row's
# time, peak memory, what the device wrote during the cut (warm runs; after the copy was
# synced), and from the cut's JSON: written, copied, reads, bytes read, cut points (each
# removed range's two ends, one for a range at either end) and planning time.
cut_once() {
  local dir=$1 cold=$2 t0 t1 before after
  cp "$rec" "$dir/cut.$format"
  sync -f "$dir/cut.$format"
  [ "$cold" = cold ] && { sync; echo 3 > /proc/sys/vm/drop_caches; }
  [ "$cold" = cold ] || before=$(device_written "$dir")
  t0=$(now_ns)
  /usr/bin/time -f %M -o "$work/rss" "$tool" cut "$dir/cut.$format" --remove "$b1-$e1" --remove "$b2-$e2" --remove "$b3-$e3" --json --timings > "$work/cut.json"
  t1=$(now_ns)
  [ "$cold" = cold ] || after=$(device_written "$dir")
  printf '%s\t%s\t%s\t' "$(ms "$t0" "$t1")" "$(cat "$work/rss")" "$([ "$cold" = cold ] && echo - || echo $((after - before)))"
  python3 -c '
import json, sys
r = json.load(open(sys.argv[1])); size = int(sys.argv[2]); t = r["timings"]
plan = next(p for p in t["phases"] if p["phase"] == "plan")
points = sum((x["offset"] > 0) + (x["offset"] + x["length"] < size) for x in r["removed"])
print(r["bytesWritten"], r["bytesCopied"], plan["reads"], plan["bytesRead"], points, plan["ms"], sep="\t")' "$work/cut.json" "$(stat -c %s "$rec")"
}

# The floor: the same calls replayed by bench/media-floor.c on a fresh copy, as a whole process.
floor_once() {
  local dir=$1 cold=$2 t0 t1
  python3 bench/media-floor.py "$work/cut.json" > "$work/calls"
  cp "$rec" "$dir/floor.$format"
  sync -f "$dir/floor.$format"
  [ "$cold" = cold ] && { sync; echo 3 > /proc/sys/vm/drop_caches; }
  t0=$(now_ns)
  /usr/bin/time -f %M -o "$work/rss" "$work/media-floor" "$dir/floor.$format" "$dir/.floor-journal" < "$work/calls"
  t1=$(now_ns)
  printf '%s\t%s\n' "$(ms "$t0" "$t1")" "$(cat "$work/rss")"
  rm -rf "$dir/floor.$format" "$dir/.floor-journal"
}

for size in "${sizes[@]}"; do
  rec=$src/rec-$size.ts
  if [ ! -s "$rec" ]; then
    loops=$(( (size * 1048576 + minute_bytes - 1) / minute_bytes - 1 ))
    # The video looped as it is; the sound encoded afresh for the whole length (AAC looped
    # with -c copy repeats timestamps at every join, which ffmpeg rightly reports).
    ffmpeg -v error -y -stream_loop "$loops" -i "$src/minute.ts" -f lavfi -i sine=frequency=440:sample_rate=48000 \
      -map 0:v -map 1:a -c:v copy -c:a aac -shortest -f mpegts "$rec.tmp" && mv "$rec.tmp" "$rec"
  fi
  if [ ! -e "$rec.judged" ]; then
    errors=$(ffmpeg -v error -copyts -i "$rec" -f null - 2>&1 | wc -l)
    [ "$errors" = 0 ] || { echo "ffmpeg reports $errors error lines on the source $rec" >&2; exit 1; }
    touch "$rec.judged"
  fi
  if [ "$format" = mp4 ]; then
    # The same recording remuxed into MP4 as ffmpeg writes it by default (moov after mdat).
    if [ ! -s "$src/rec-$size.mp4" ]; then
      ffmpeg -v error -y -i "$rec" -map 0 -c copy -f mp4 "$src/rec-$size.mp4.tmp" && mv "$src/rec-$size.mp4.tmp" "$src/rec-$size.mp4"
    fi
    rec=$src/rec-$size.mp4
  fi
  mib=$(( $(stat -c %s "$rec") / 1048576 )) # what the loop made, as the report names it
  # The duration, and for an MP4 the size of its index (moov), which a cut rewrites.
  read -r duration index_bytes < <("$tool" info "$rec" --json | python3 -c 'import json,sys; i = json.load(sys.stdin); print(i["duration"], i.get("moov", {}).get("size", ""))')
  # Three ad breaks of 3 % of the recording each, at a fifth, a half and four fifths.
  read -r b1 e1 b2 e2 b3 e3 < <(python3 -c "d=$duration; print(*(f'{x:.3f}' for x in (d*.20, d*.23, d*.50, d*.53, d*.80, d*.83)))")
  for fs in "${fss[@]}"; do
    dir=$(mnt "$fs")/media
    mkdir -p "$dir"
    for run in $(seq 1 "$runs"); do
      read -r took rss device written copied reads bytes_read points plan_ms < <(cut_once "$dir" warm | tr '\t' ' ')
      printf '%s\t%s\t%s\tmovdata cut\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$fs" "$mib" "$duration" "$run" "$took" "$rss" "$written" "$copied" "$device" "$reads" "$bytes_read" "$points" "$plan_ms" "$index_bytes" >> "$results"
      if [ "$run" = 1 ]; then
        # The judge, once per size: decoding gigabytes takes minutes, and the same cut on a
        # filesystem of the same block size must give the same bytes (checked by digest).
        sum=$(sha256sum < "$dir/cut.$format" | cut -d' ' -f1)
        if [ "$sum" != "$(cat "$work/judged-$size" 2>/dev/null)" ]; then
          errors=$(ffmpeg -v error -copyts -i "$dir/cut.$format" -f null - 2>&1 | wc -l)
          [ "$errors" = 0 ] || { echo "ffmpeg reports $errors error lines on the cut recording ($fs, $size MiB)" >&2; exit 1; }
          echo "$sum" > "$work/judged-$size"
        fi
      fi
      read -r took rss < <(floor_once "$dir" warm | tr '\t' ' ')
      printf '%s\t%s\t%s\tfloor\t%s\t%s\t%s\t\t\t\t\t\t\t\n' "$fs" "$mib" "$duration" "$run" "$took" "$rss" >> "$results"
      # Once more with nothing cached: a recording made hours ago, as a DVR cuts it.
      read -r took rss _ written copied reads bytes_read points plan_ms < <(cut_once "$dir" cold | tr '\t' ' ')
      printf '%s\t%s\t%s\tmovdata cut, cold cache\t%s\t%s\t%s\t%s\t%s\t\t%s\t%s\t%s\t%s\n' "$fs" "$mib" "$duration" "$run" "$took" "$rss" "$written" "$copied" "$reads" "$bytes_read" "$points" "$plan_ms" >> "$results"
      read -r took rss < <(floor_once "$dir" cold | tr '\t' ' ')
      printf '%s\t%s\t%s\tfloor, cold cache\t%s\t%s\t%s\t\t\t\t\t\t\t\n' "$fs" "$mib" "$duration" "$run" "$took" "$rss" >> "$results"
    done
    cp "$work/cut.json" "$out/cut-$fs-$size.json"
    for run in $(seq 0 "$runs"); do
      rm -f "$dir/remux.$format"
      # Run 0 starts with nothing cached, as the cold cut does.
      [ "$run" = 0 ] && { sync; echo 3 > /proc/sys/vm/drop_caches; }
      t0=$(now_ns)
      /usr/bin/time -f %M -o "$work/rss" ffmpeg -v error -i "$rec" -map 0 -c copy -f "$([ "$format" = ts ] && echo mpegts || echo mp4)" "$dir/remux.$format"
      sync "$dir/remux.$format"
      t1=$(now_ns)
      who='ffmpeg -c copy'
      [ "$run" = 0 ] && who='ffmpeg -c copy, cold cache'
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\t\t\t\t\n' "$fs" "$mib" "$duration" "$who" "$((run > 0 ? run : 1))" "$(ms "$t0" "$t1")" "$(cat "$work/rss")" "$(stat -c %s "$dir/remux.$format")" "$(stat -c %s "$dir/remux.$format")" >> "$results"
    done
    rm -f "$dir/remux.$format"
    if [ "$format" = mp4 ]; then
      # An MP4's removed samples are not one byte range (audio is interleaved): the
      # byte-level collapse has nothing comparable to do.
      rm -f "$dir/cut.$format"
      continue
    fi
    # Today's byte-level collapse of the same byte ranges, last to first (one run: it copies the tails).
    cp "$rec" "$dir/collapse.ts"
    sync -f "$dir/collapse.ts"
    copied=0
    t0=$(now_ns)
    while read -r offset length; do
      c=$("$tool" collapse "$dir/collapse.ts" --offset "$offset" --length "$length" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["bytesCopied"])')
      copied=$((copied + c))
    done < <(python3 -c 'import json,sys; [print(r["offset"], r["length"]) for r in reversed(json.load(open(sys.argv[1]))["removed"])]' "$work/cut.json")
    t1=$(now_ns)
    printf '%s\t%s\t%s\tmovdata collapse (bytes)\t1\t%s\t\t\t%s\t\t\t\t\t\n' "$fs" "$mib" "$duration" "$(ms "$t0" "$t1")" "$copied" >> "$results"
    # Undo: the same three breaks cut with --save-removed, then `movdata restore`, each a
    # whole process on a fresh copy (warm cache); the first restore of each size and
    # filesystem must give the recording back (SHA-256).
    [ -s "$work/sha-$size" ] || sha256sum < "$rec" | cut -d' ' -f1 > "$work/sha-$size"
    for run in $(seq 1 "$runs"); do
      rm -f "$dir/undo.ts" "$dir/undo-ads.ts"
      cp "$rec" "$dir/undo.ts"
      sync -f "$dir/undo.ts"
      t0=$(now_ns)
      "$tool" cut "$dir/undo.ts" --remove "$b1-$e1" --remove "$b2-$e2" --remove "$b3-$e3" --save-removed "$dir/undo-ads.ts" --json > "$work/undo-cut.json"
      t1=$(now_ns)
      "$tool" restore "$dir/undo.ts" "$dir/undo-ads.ts" --json > "$work/restore.json"
      t2=$(now_ns)
      for who in cut restore; do
        json=$work/undo-cut.json took=$(ms "$t0" "$t1") name='movdata cut --save-removed'
        [ "$who" = restore ] && json=$work/restore.json took=$(ms "$t1" "$t2") name='movdata restore'
        read -r written copied < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["bytesWritten"], r["bytesCopied"])' "$json")
        printf '%s\t%s\t%s\t%s\t%s\t%s\t\t%s\t%s\t\t\t\t\t\n' "$fs" "$mib" "$duration" "$name" "$run" "$took" "$written" "$copied" >> "$results"
      done
      if [ "$run" = 1 ] && [ "$(sha256sum < "$dir/undo.ts" | cut -d' ' -f1)" != "$(cat "$work/sha-$size")" ]; then
        echo "the restored recording differs from the original ($fs, $size MiB)" >&2
        exit 1
      fi
      [ ! -e "$dir/undo-ads.ts" ] || { echo "restore left its saved file ($fs, $size MiB)" >&2; exit 1; }
    done
    cp "$work/restore.json" "$out/restore-$fs-$size.json"
    rm -f "$dir/collapse.ts" "$dir/cut.ts" "$dir/undo.ts"
  done
done

[ -n "$docs" ] || { column -t -s $'\t' "$results"; exit 0; }
python3 bench/media-report.py "$results" "$docs" "$(uname -r)" "$(ffmpeg -version | head -1 | cut -d' ' -f3)" "$format" "$load_before $(cut -d' ' -f1 /proc/loadavg)"
