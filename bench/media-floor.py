#!/usr/bin/env python3
"""The calls of a cut, from `movdata cut --timings --json`, as bench/media-floor.c replays them.

    python3 bench/media-floor.py CUT.json > calls
"""
import json
import sys

calls = json.load(open(sys.argv[1]))["timings"]["calls"]
for c in calls:
    call, f = c["call"], c["file"]
    if call in ("record", "record-xattr"):
        print(call, c["length"])
    elif call in ("collapse", "insert"):
        print(call, c["offset"], c["length"])
    elif call == "truncate":
        print(call, c["length"])
    elif call in ("save", "restore"):
        print(call, c["offset"], c["length"], c["target"])
    elif call == "write":
        print(call, c["offset"], c["length"], c.get("bytes", ""))
    elif call == "fsync":
        print(call, f)
    elif call == "done":
        print(call, c["length"])
    elif call == "unlink":
        print("unlink" if f == "journal" else "unlink-sidecar")
    else:
        sys.exit(f"media-floor.py: a call the floor does not replay: {c}")
