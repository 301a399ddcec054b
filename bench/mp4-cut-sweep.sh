#!/usr/bin/env bash
# --exact cuts of MP4 and MOV files with B pictures, judged by ffmpeg: random ranges (a fixed
# seed) on an x265 open-GOP MOV, an H.264 B-frame MP4 and an H.264 B-frame MOV with a
# timecode track, each cut with --save-removed and then restored. Per range: what the cut
# reported, ffmpeg's error lines on the cut and on the removed part, whether restore gave back
# the original byte for byte, and against the original's video packets (ffprobe's sha256 of
# each): those shown before FROM or from TO on that are missing (and how many of them from TO
# on), those shown inside the range
# that were kept ("extra", none expected), their order, whether decode times rise strictly and
# presentation times are unique. The last line sums them up (docs/media.md quotes it).
#
#   bash bench/mp4-exact-sweep.sh [MOVDATA] [RANGES-PER-FILE]   (default artifacts/aot/movdata, 12)
#
# Works in a directory of its own under /var/tmp (any Linux filesystem: where blocks cannot
# shift they are copied, which changes nothing judged here).
set -euo pipefail
cd "$(dirname "$0")/.."
tool=${1:-artifacts/aot/movdata}
per=${2:-12}
[ -x "$tool" ] || dotnet publish src/MovData.Cli -c Release -o artifacts/aot -nologo -v quiet
tool=$(realpath "$tool")
work=$(mktemp -d /var/tmp/movdata-exact-sweep.XXXXXX)
trap 'rm -rf "$work"' EXIT

video=testsrc2=size=320x240:rate=25 audio=sine=frequency=440:sample_rate=48000
ffmpeg -nostdin -v error -f lavfi -i $video -f lavfi -i $audio -t 12 -c:v libx265 -tag:v hvc1 \
  -x265-params log-level=error:keyint=50:min-keyint=50:scenecut=0:bframes=3:open-gop=1:qp=12 -c:a aac "$work/hevc.mov"
ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=320x240:rate=30 -f lavfi -i $audio -t 40 \
  -c:v libx264 -preset veryfast -bf 3 -g 60 -c:a aac "$work/bframes.mp4"
ffmpeg -nostdin -v error -f lavfi -i $video -f lavfi -i $audio -t 30 \
  -c:v libx264 -preset veryfast -g 50 -c:a aac -timecode 01:00:00:00 "$work/timecode.mov"

python3 - "$tool" "$work" "$per" <<'EOF'
import json, random, subprocess, sys, filecmp, shutil
tool, work, per = sys.argv[1], sys.argv[2], int(sys.argv[3])

def run(*args):
    return subprocess.run(args, capture_output=True, text=True, stdin=subprocess.DEVNULL)

def packets(path):
    out = run('ffprobe', '-v', 'error', '-select_streams', 'v', '-show_data_hash', 'sha256', '-show_entries',
              'packet=pts_time,dts_time,data_hash', '-of', 'json', path).stdout
    return json.loads(out)['packets']

def errors(path):
    return len(run('ffmpeg', '-nostdin', '-v', 'error', '-i', path, '-map', '0', '-f', 'null', '-').stderr.splitlines())

random.seed(7)
totals = dict(cuts=0, refused=0, restored=0, missing=0, missing_after=0, extra=0, disorder=0, errors=0)
for name, seconds in (('hevc.mov', 12), ('bframes.mp4', 40), ('timecode.mov', 30)):
    original = f'{work}/{name}'
    before = packets(original)
    first = min(float(p['pts_time']) for p in before)
    for _ in range(per):
        a = round(random.uniform(0.3, seconds - 3), 2)
        b = round(min(seconds - 0.2, a + random.uniform(0.2, 5)), 2)
        ext = name.split('.')[1]
        cut, saved = f'{work}/cut.{ext}', f'{work}/saved.{ext}'
        shutil.copyfile(original, cut)
        run('rm', '-f', saved)
        r = run(tool, 'cut', cut, '--remove', f'{a}-{b}', '--exact', '--save-removed', saved, '--json')
        if r.returncode != 0:
            totals['refused'] += 1
            print(f'{name} {a}-{b}: exit {r.returncode}: {r.stderr.strip()}')
            continue
        totals['cuts'] += 1
        removed = json.loads(r.stdout)['removed'][0]
        fr, to = removed['from'], removed['to']
        shown = lambda p: float(p['pts_time']) - first
        want = [p['data_hash'] for p in before if shown(p) < fr - 0.001 or shown(p) >= to - 0.001]
        inside = {p['data_hash'] for p in before if fr - 0.001 <= shown(p) < to - 0.001}
        after = packets(cut)
        got = [p['data_hash'] for p in after]
        lost = set(want) - set(got)
        missing = len(lost)
        missing_after = len([p for p in before if p['data_hash'] in lost and shown(p) >= to - 0.001])
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
        totals['disorder'] += not (ordered and rising)
        totals['errors'] += errs
        print(f'{name} {a}-{b}: cut {fr}-{to}, ffmpeg {errs} error lines (removed part {saved_errs}), '
              f'missing {missing} ({missing_after} shown from TO on), extra {extra}, order {"ok" if ordered else "WRONG"}, '
              f'times {"rising" if rising else "NOT rising or repeated"}, restore {"identical" if same else "DIFFERENT"}')
t = totals
print(f'summary: {t["cuts"]} cut, {t["refused"]} refused; {t["restored"]} restored byte for byte; '
      f'{t["missing"]} pictures shown outside the ranges missing ({t["missing_after"]} of them from a TO on), {t["extra"]} shown inside kept; '
      f'{t["disorder"]} cuts out of order or with falling or repeated times; {t["errors"]} ffmpeg error lines in all')
EOF
