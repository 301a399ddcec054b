#!/usr/bin/env python3
"""Start-up of the movdata command as each way of getting it runs it.

    python3 bench/tool-startup.py RUNS DIR NAME=COMMAND [NAME=COMMAND ...]

Runs each COMMAND (a path to a movdata executable) RUNS times with `--version` and with
`probe DIR --json`, interleaved so that no contender gets a warmer machine; prints a Markdown
table of the median and 90th-percentile wall time and the median peak resident memory of
each. Wall time is fork to exit; memory is GNU time's %M from a second run of the same
command (a forked Python child's own ru_maxrss counts the interpreter it was forked from).
"""
import statistics
import subprocess
import sys
import tempfile
import time


def run(argv):
    start = time.perf_counter()
    code = subprocess.call(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if code != 0:
        sys.exit(f"{' '.join(argv)} exited {code}")
    with tempfile.NamedTemporaryFile("r") as out:
        subprocess.check_call(["/usr/bin/time", "-f", "%M", "-o", out.name, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        kib = int(out.read().split()[-1])
    return elapsed * 1000, kib / 1024


def main(runs, directory, contenders):
    verbs = {"--version": ["--version"], "probe --json": ["probe", directory, "--json"]}
    samples = {(name, verb): [] for name, _ in contenders for verb in verbs}
    for _ in range(runs):
        for verb, args in verbs.items():
            for name, command in contenders:
                samples[(name, verb)].append(run([command, *args]))
    print("| command | verb | median ms | p90 ms | median peak RSS MiB |")
    print("|---|---|---:|---:|---:|")
    for name, _ in contenders:
        for verb in verbs:
            ms = sorted(s[0] for s in samples[(name, verb)])
            rss = statistics.median(s[1] for s in samples[(name, verb)])
            p90 = ms[min(len(ms) - 1, int(0.9 * len(ms)))]
            print(f"| {name} | `{verb}` | {statistics.median(ms):.1f} | {p90:.1f} | {rss:.1f} |")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(int(sys.argv[1]), sys.argv[2], [tuple(a.split("=", 1)) for a in sys.argv[3:]])
