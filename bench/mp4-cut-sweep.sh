#!/usr/bin/env bash
# Cuts of MP4 and MOV files with B pictures and open GOPs, judged by ffmpeg: random ranges (a
# fixed seed) on an x265 open-GOP MOV, an H.264 B-frame MP4, an H.264 B-frame MOV with a
# timecode track, and two H.264 open-GOP MP4s (x264's open-gop at preset veryfast, keyint 50,
# and at its defaults, keyint 100: keyframes that are I pictures, not IDR); each cut with
# --save-removed (and --exact where asked), then restored. Per range: what the cut reported,
# ffmpeg's error lines on the cut and on the removed part, whether restore gave back the
# original byte for byte, and against the original's video packets (ffprobe's sha256 of each):
# those shown outside what the cut reports removed that are missing (and how many of them
# from TO on), those shown inside it that were kept ("extra", none expected), those whose
# bytes the cut changed (a join's released reference rewritten, a bit), their order, whether
# decode times rise strictly and presentation times are unique. The last line sums them up
# (docs/media.md quotes it). With --fragmented, the same on three fragmented MP4s instead
# (ffmpeg's frag_keyframe+empty_moov: the x265 open GOPs, and x264's open-gop at keyint 50;
# and frag_keyframe alone, whose first fragment moov indexes: x264 with B-frames, closed GOPs),
# which are cut by whole fragments (--exact is refused there; an H.264 join's later start
# keeps the first pictures of a range's first fragment): the fragment the video resumes
# on leaves out its keyframe's leading pictures where its moof can be rewritten so (where it
# cannot, they stay and count as "extra": kept, shown inside).
#
#   bash bench/mp4-cut-sweep.sh [--exact | --fragmented] [MOVDATA] [RANGES-PER-FILE]   (default artifacts/aot/movdata, 12)
#
# Works in a directory of its own under /var/tmp (any Linux filesystem: where blocks cannot
# shift they are copied, which changes nothing judged here).
set -euo pipefail
cd "$(dirname "$0")/.."
exact= fragmented=
if [ "${1:-}" = --exact ]; then exact=--exact; shift; fi
if [ "${1:-}" = --fragmented ]; then fragmented=1; shift; fi
tool=${1:-artifacts/aot/movdata}
per=${2:-12}
[ -x "$tool" ] || dotnet publish src/MovData.Cli -c Release -o artifacts/aot -nologo -v quiet
tool=$(realpath "$tool")
work=$(mktemp -d /var/tmp/movdata-cut-sweep.XXXXXX)
trap 'rm -rf "$work"' EXIT

video=testsrc2=size=320x240:rate=25 audio=sine=frequency=440:sample_rate=48000
if [ -n "$fragmented" ]; then
  ffmpeg -nostdin -v error -f lavfi -i $video -f lavfi -i $audio -t 24 -c:v libx265 -tag:v hvc1 \
    -x265-params log-level=error:keyint=50:min-keyint=50:scenecut=0:bframes=3:open-gop=1:qp=12 -c:a aac \
    -movflags frag_keyframe+empty_moov "$work/hevc-fragmented.mp4"
  ffmpeg -nostdin -v error -f lavfi -i $video -f lavfi -i $audio -t 24 -c:v libx264 -preset veryfast \
    -x264-params open-gop=1:keyint=50:min-keyint=50:scenecut=0 -bf 3 -qp 12 -c:a aac \
    -movflags frag_keyframe+empty_moov "$work/opengop-fragmented.mp4"
  ffmpeg -nostdin -v error -f lavfi -i $video -f lavfi -i $audio -t 24 -c:v libx264 -preset veryfast \
    -bf 3 -g 50 -qp 12 -c:a aac -movflags frag_keyframe "$work/split-fragmented.mp4"
  files='hevc-fragmented.mp4:24 opengop-fragmented.mp4:24 split-fragmented.mp4:24'
else
  ffmpeg -nostdin -v error -f lavfi -i $video -f lavfi -i $audio -t 12 -c:v libx265 -tag:v hvc1 \
    -x265-params log-level=error:keyint=50:min-keyint=50:scenecut=0:bframes=3:open-gop=1:qp=12 -c:a aac "$work/hevc.mov"
  ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=320x240:rate=30 -f lavfi -i $audio -t 40 \
    -c:v libx264 -preset veryfast -bf 3 -g 60 -c:a aac "$work/bframes.mp4"
  ffmpeg -nostdin -v error -f lavfi -i $video -f lavfi -i $audio -t 30 \
    -c:v libx264 -preset veryfast -g 50 -c:a aac -timecode 01:00:00:00 "$work/timecode.mov"
  ffmpeg -nostdin -v error -f lavfi -i $video -f lavfi -i $audio -t 24 -c:v libx264 -preset veryfast \
    -x264-params open-gop=1:keyint=50:min-keyint=50:scenecut=0 -bf 3 -qp 12 -c:a aac "$work/opengop.mp4"
  ffmpeg -nostdin -v error -f lavfi -i $video -f lavfi -i $audio -t 60 -c:v libx264 \
    -x264-params open-gop=1:keyint=100:min-keyint=25 -bf 3 -c:a aac "$work/opengop-defaults.mp4"
  files='hevc.mov:12 bframes.mp4:40 timecode.mov:30 opengop.mp4:24 opengop-defaults.mp4:60'
fi

python3 - "$tool" "$work" "$per" "$files" $exact <<'EOF'
import json, random, subprocess, sys, filecmp, shutil
tool, work, per, exact = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[5:]
files = [(f.split(':')[0], int(f.split(':')[1])) for f in sys.argv[4].split()]

def run(*args):
    return subprocess.run(args, capture_output=True, text=True, stdin=subprocess.DEVNULL)

def packets(path):
    out = run('ffprobe', '-v', 'error', '-select_streams', 'v', '-show_data_hash', 'sha256', '-show_entries',
              'packet=pts_time,dts_time,data_hash', '-of', 'json', path).stdout
    return json.loads(out)['packets']

def errors(path):
    return len(run('ffmpeg', '-nostdin', '-v', 'error', '-i', path, '-map', '0', '-f', 'null', '-').stderr.splitlines())

random.seed(7)
totals = dict(cuts=0, refused=0, none=0, restored=0, missing=0, missing_after=0, extra=0, changed=0, disorder=0, errors=0)
for name, seconds in files:
    original = f'{work}/{name}'
    before = packets(original)
    first = min(float(p['pts_time']) for p in before)
    for _ in range(per):
        a = round(random.uniform(0.3, seconds - 3), 2)
        b = round(min(seconds - 0.2, a + random.uniform(0.2, 5) if exact else a + random.uniform(1, 12)), 2)
        ext = name.split('.')[1]
        cut, saved = f'{work}/cut.{ext}', f'{work}/saved.{ext}'
        shutil.copyfile(original, cut)
        run('rm', '-f', saved)
        r = run(tool, 'cut', cut, '--remove', f'{a}-{b}', *exact, '--save-removed', saved, '--json')
        if r.returncode != 0:
            totals['refused'] += 1
            print(f'{name} {a}-{b}: exit {r.returncode}: {r.stderr.strip()}')
            continue
        if not json.loads(r.stdout)['removed']:
            totals['none'] += 1 # shorter than the keyframes around it: nothing to remove
            continue
        totals['cuts'] += 1
        removed = json.loads(r.stdout)['removed'][0]
        fr, to = removed['from'], removed['to']
        shown = lambda p: float(p['pts_time']) - first
        want = [p['data_hash'] for p in before if shown(p) < fr - 0.001 or shown(p) >= to - 0.001]
        inside = {p['data_hash'] for p in before if fr - 0.001 <= shown(p) < to - 0.001}
        after = packets(cut)
        got = [p['data_hash'] for p in after]
        known = {p['data_hash'] for p in before}
        changed = len([h for h in got if h not in known]) # each in place of one of want
        lost = set(want) - set(got)
        missing = max(0, len(lost) - changed)
        missing_after = max(0, len([p for p in before if p['data_hash'] in lost and shown(p) >= to - 0.001]) - changed)
        extra = len([h for h in got if h in inside])
        dts = [float(p['dts_time']) for p in after]
        pts = [float(p['pts_time']) for p in after]
        ordered = [h for h in want if h in set(got)] == [h for h in got if h in set(want)]
        rising = all(x < y for x, y in zip(dts, dts[1:])) and len(set(pts)) == len(pts)
        errs, saved_errs = errors(cut), errors(saved)
        restore = run(tool, 'restore', cut, saved)
        same = restore.returncode == 0 and filecmp.cmp(original, cut, shallow=False)
        totals['restored'] += same
        totals['missing'] += missing
        totals['missing_after'] += missing_after
        totals['extra'] += extra
        totals['changed'] += changed
        totals['disorder'] += not (ordered and rising)
        totals['errors'] += errs
        print(f'{name} {a}-{b}: cut {fr}-{to}, ffmpeg {errs} error lines (removed part {saved_errs}), '
              f'missing {missing} ({missing_after} shown from TO on), extra {extra}, changed {changed}, order {"ok" if ordered else "WRONG"}, '
              f'times {"rising" if rising else "NOT rising or repeated"}, restore {"identical" if same else "DIFFERENT"}')
t = totals
print(f'summary{" --exact" if exact else ""}{" --fragmented" if any("fragmented" in f for f, _ in files) else ""}: {t["cuts"]} cut, {t["refused"]} refused, {t["none"]} with nothing to remove; {t["restored"]} restored byte for byte; '
      f'{t["missing"]} pictures shown outside the ranges missing ({t["missing_after"]} of them from a TO on), {t["extra"]} shown inside kept, '
      f'{t["changed"]} with a bit rewritten; '
      f'{t["disorder"]} cuts out of order or with falling or repeated times; {t["errors"]} ffmpeg error lines in all')
EOF
