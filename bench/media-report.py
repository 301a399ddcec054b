#!/usr/bin/env python3
"""Writes docs/benchmarks-media.md (or -mp4.md) from the samples bench/media-cut.sh took.

    python3 bench/media-report.py RESULTS.TSV DOC.md KERNEL FFMPEG_VERSION [ts|mp4]
"""
import csv
import datetime
import os
import statistics
import sys

rows = list(csv.DictReader(open(sys.argv[1]), delimiter='\t'))
doc, kernel, ffmpeg_version = sys.argv[2], sys.argv[3], sys.argv[4]
mp4 = len(sys.argv) > 5 and sys.argv[5] == 'mp4'
# The 1-minute load average when the run began and when it ended: other work on the machine
# slows every contender, and says how far to trust the figures.
load = sys.argv[6].split() if len(sys.argv) > 6 else None
CUT, COLD, FFMPEG, COLLAPSE = 'movdata cut', 'movdata cut, cold cache', 'ffmpeg -c copy', 'movdata collapse (bytes)'
FLOOR, FLOOR_COLD, FFMPEG_COLD = 'floor', 'floor, cold cache', 'ffmpeg -c copy, cold cache'
SAVE_CUT, RESTORE = 'movdata cut --save-removed', 'movdata restore'


def cell(fs, size, who, field='ms'):
    values = [float(r[field]) for r in rows if r['fs'] == fs and r['size_mib'] == size and r['contender'] == who and r[field]]
    return statistics.median(values) if values else None


def duration(ms):
    if ms is None:
        return ''
    return f'{ms / 1000:.2f} s' if ms >= 1000 else f'{ms:.1f} ms'


def number(value):
    return '' if value is None else f'{value:,.0f}'


fss = sorted({r['fs'] for r in rows}, key=['xfs', 'ext4', 'btrfs'].index)
sizes = sorted({r['size_mib'] for r in rows}, key=int)
big, small = sizes[-1], sizes[0]
seconds = {r['size_mib']: float(r['duration_s']) for r in rows}
out = [
    '# Benchmarks: cutting an MP4 recording' if mp4 else '# Benchmarks: cutting a recording', '',
    f'Written by `bench/media-cut.sh{" --mp4" if mp4 else ""}` (`bench/media-report.py`); do not edit by hand, run it again.', '',
    f'- run: {datetime.datetime.fromtimestamp(os.path.getmtime(sys.argv[1]), datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; kernel {kernel}; ffmpeg {ffmpeg_version}; 2 cores'
    + (f' (load average {load[0]} at the start, {load[1]} at the end)' if load else '')
    + '; loop-mounted sparse images on the machine\'s disk (eng/scratch-fs.sh)',
    '- recordings: H.264 1280x720 + AAC made by ffmpeg (a minute of video looped with -c copy, the sound encoded for the whole length): '
    + ', '.join(f'{s} MiB = {seconds[s] / 60:.0f} min' for s in sizes)
    + (', remuxed into MP4 by `ffmpeg -c copy` (moov at the end, as phones, cameras and OBS write it)' if mp4 else '')
    + '; three ad breaks of 3 % each, at 20 %, 50 % and 80 % of the timeline',
    '- **movdata cut**: the Native AOT `movdata cut REC --remove … ×3 --json` as a whole process, fsyncs and journal included, '
    'right after the recording was copied in (its pages cached); **cold cache**: the same after `echo 3 > /proc/sys/vm/drop_caches`',
    '- **ffmpeg -c copy**: one remux pass `ffmpeg -i REC -map 0 -c copy OUT`, then `sync OUT` (the pass cutting tools run, usually twice); '
    + ('' if mp4 else '**movdata collapse (bytes)**: today\'s byte-level `movdata collapse` of the same byte ranges, last to first; ')
    + '**ffmpeg, cold cache**: its first run, after the same cache drop',
    '- **floor**: `bench/media-floor.c`, a small C program that replays in one process exactly the calls the cut made to the disk '
    '(the `calls` of its `--timings` JSON: the journal record, collapses or clones, the writes with the bytes the cut wrote (an MP4\'s moov, over 64 KiB, as bytes of the same length), fsyncs, fdatasyncs, the record\'s removal), '
    'on a fresh copy of the same recording; what the kernel\'s own work costs, with no planning, reading or runtime',
    '- read per cut point: the bytes the cut read from the recording to plan (its `--timings` count of preads, cold cache), '
    'divided by its cut points (a removed range has two, one at either end of the recording has one)',
    ('- written: the bytes the cut wrote in place (the new moov, and mdat\'s size), by its own count, against the moov it replaced (index); ' if mp4
     else '- written: the bytes the cut wrote in place (null packets, tables, marks), by its own count; ')
    + 'device: what the filesystem\'s loop device wrote during the cut (sectors in /sys/block/loopN/stat, after a sync), its journal and metadata included',
    '- each cell: the median of the runs; the cut recording of each size is judged by `ffmpeg -v error -copyts` (no error line) '
    'and shown to hold the same bytes on the other filesystems by SHA-256',
    '',
    '## The figures to reach', '',
    '| figure | target | measured | |',
    '|---|---|---|---|',
]


def figure(name, target, value, met):
    out.append(f'| {name} | {target} | {value} | {"met" if met else "**missed**"} |')


for fs in fss:
    written, copied = cell(fs, big, CUT, 'bytes_written'), cell(fs, big, CUT, 'bytes_copied')
    if mp4:
        # One cut command writes one moov, whatever the number of ranges it removes.
        index = cell(fs, big, CUT, 'index_bytes')
        figure(f'{fs}, {big} MiB: written by the cut (three ranges), against the moov it replaced ({index / 1024:.0f} KiB)', '≤ moov + 64 KiB',
               f'{written / 1024:.0f} KiB', written <= index + 64 * 1024)
    else:
        figure(f'{fs}, {big} MiB: written per cut', '≤ 256 KiB', f'{written / 3 / 1024:.0f} KiB', written / 3 <= 256 * 1024)
    figure(f'{fs}, {big} MiB: bytes of media copied' if mp4 else f'{fs}, {big} MiB: bytes of the tail copied', '0', f'{copied:.0f}', copied == 0)
    ratio = 50 if fs == 'btrfs' and not mp4 else 200
    cold, remux_cold = cell(fs, big, COLD), cell(fs, big, FFMPEG_COLD)
    figure(f'{fs}, {big} MiB, cold cache: ffmpeg pass / movdata cut', f'≥ {ratio}', f'{remux_cold / cold:.0f}', remux_cold / cold >= ratio)
    cut, remux = cell(fs, big, CUT), cell(fs, big, FFMPEG)
    figure(f'{fs}, {big} MiB, warm: ffmpeg pass / movdata cut', f'≥ {ratio}', f'{remux / cut:.0f}', remux / cut >= ratio)
    if fs != 'btrfs':
        floor_cold = cell(fs, big, FLOOR_COLD)
        figure(f'{fs}, {big} MiB, cold cache: movdata cut / floor', '≤ 1.5', f'{cold / floor_cold:.2f}', cold / floor_cold <= 1.5)
        figure(f'{fs}, {big} MiB, warm: movdata cut / floor', '≤ 1.5', f'{cut / cell(fs, big, FLOOR):.2f}', cut / cell(fs, big, FLOOR) <= 1.5)
    per_point = max(cell(fs, size, COLD, 'bytes_read') / cell(fs, size, COLD, 'cut_points') for size in sizes)
    figure(f'{fs}, cold cache: read per cut point (the larger of the sizes)', '≤ 1 MiB', f'{per_point / 1048576:.2f} MiB', per_point <= 1048576)
    figure(f'{fs}, cold cache: cut of {big} MiB / cut of {small} MiB', '≤ 1.5', f'{cold / cell(fs, small, COLD):.2f}', cold / cell(fs, small, COLD) <= 1.5)
    figure(f'{fs}, warm: cut of {big} MiB / cut of {small} MiB', '≤ 1.5', f'{cut / cell(fs, small, CUT):.2f}', cut / cell(fs, small, CUT) <= 1.5)
    restore, save_cut = cell(fs, big, RESTORE), cell(fs, big, SAVE_CUT)
    if restore is not None:
        # Issue #22: an undo costs what the cut cost (within 2x where blocks move between
        # files), and writes at most 256 KiB a cut besides what ext4 must copy.
        if fs != 'ext4':
            figure(f'{fs}, {big} MiB: movdata restore / movdata cut --save-removed', '≤ 2', f'{restore / save_cut:.2f}', restore / save_cut <= 2)
        # What it puts back by writing or copying, not moving: the bytes the cut overwrote
        # come back with the partial blocks around each part, which it copies (on ext4 the
        # parts themselves come back by copy, and are not counted here).
        restored = cell(fs, big, RESTORE, 'bytes_written') + (0 if fs == 'ext4' else cell(fs, big, RESTORE, 'bytes_copied'))
        figure(f'{fs}, {big} MiB: restore, written or copied per cut' + (' (besides the parts)' if fs == 'ext4' else ''), '≤ 256 KiB',
               f'{restored / 3 / 1024:.1f} KiB', restored / 3 <= 256 * 1024)
rss = max(float(r['max_rss_kib']) for r in rows if r['contender'] in (CUT, COLD))
figure('peak memory of movdata cut, any size, any filesystem', '< 64 MiB', f'{rss / 1024:.1f} MiB', rss < 64 * 1024)

out += [
    '', '## Every figure', '',
    '| fs | recording | movdata cut | cold cache | floor | floor, cold | planning (cold) | read (cold) | written | device | copied | peak memory | ffmpeg -c copy | ffmpeg, cold |'
    + (' moov |' if mp4 else ' movdata collapse (bytes) | its bytes copied |'),
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|' + ('' if mp4 else '---|'),
]
for fs in fss:
    for size in sizes:
        out.append(
            f'| {fs} | {size} MiB | {duration(cell(fs, size, CUT))} | {duration(cell(fs, size, COLD))} | {duration(cell(fs, size, FLOOR))} | '
            f'{duration(cell(fs, size, FLOOR_COLD))} | {duration(cell(fs, size, COLD, "plan_ms"))} | '
            f'{number(cell(fs, size, COLD, "reads"))} reads, {cell(fs, size, COLD, "bytes_read") / 1048576:.1f} MiB | {number(cell(fs, size, CUT, "bytes_written"))} | '
            f'{number(cell(fs, size, CUT, "device_written"))} | {number(cell(fs, size, CUT, "bytes_copied"))} | '
            f'{cell(fs, size, CUT, "max_rss_kib") / 1024:.1f} MiB | {duration(cell(fs, size, FFMPEG))} | {duration(cell(fs, size, FFMPEG_COLD))} | '
            + (f'{number(cell(fs, size, CUT, "index_bytes"))} |' if mp4 else
               f'{duration(cell(fs, size, COLLAPSE))} | {number(cell(fs, size, COLLAPSE, "bytes_copied"))} |'))
if any(r['contender'] == RESTORE for r in rows):
    out += [
        '', '## Undo: cut with --save-removed, then restore', '',
        'The same three breaks cut with `--save-removed` into a new file, then `movdata restore` (each a whole process, warm cache); '
        'the first restore of each size and filesystem gave the recording back byte for byte (SHA-256).', '',
        '| fs | recording | cut --save-removed | its written | its copied | restore | restore / cut | restore written | restore copied |',
        '|---|---|---|---|---|---|---|---|---|',
    ]
    for fs in fss:
        for size in sizes:
            c, r = cell(fs, size, SAVE_CUT), cell(fs, size, RESTORE)
            out.append(f'| {fs} | {size} MiB | {duration(c)} | {number(cell(fs, size, SAVE_CUT, "bytes_written"))} | {number(cell(fs, size, SAVE_CUT, "bytes_copied"))} | '
                       f'{duration(r)} | {r / c:.2f} | {number(cell(fs, size, RESTORE, "bytes_written"))} | {number(cell(fs, size, RESTORE, "bytes_copied"))} |')
out += ['', f'Raw samples: `bench/results/media{"-mp4" if mp4 else ""}/results.tsv`; the cut\'s JSON per filesystem and size beside it.', '']
open(doc, 'w').write('\n'.join(out))
print('\n'.join(out))
