#!/usr/bin/env bash
# The README's worked example: cut a run of MPEG-TS packets out of one recording and paste it
# into another with `movdata splice`, then check every packet of both files.
#
#   eng/mpegts-example.sh DIR [SIZE_MIB]      (default 256 MiB per recording)
#
# Each recording is a stream of 188-byte packets: sync byte 0x47, the take (1 or 2), the
# packet's number, filler. Two cuts are made, both at packet boundaries and both 1024 x 500
# packets long (96,256,000 bytes = 23,500 blocks of 4 KiB):
#   1. packet numbers 1024 x k apart, so the cut sits at the same place in its 4 KiB block in
#      both files: only the two partial edge blocks are copied, the rest moves as extents;
#   2. packet numbers not 1024 x k apart: no block lines up, the range is copied.
# Needs python3 and the movdata tool (artifacts/aot/movdata, or MOVDATA=path).
set -euo pipefail
dir=${1:?usage: eng/mpegts-example.sh DIR [SIZE_MIB]}
mib=${2:-256}
movdata=${MOVDATA:-$(cd "$(dirname "$0")/.." && pwd)/artifacts/aot/movdata}
mkdir -p "$dir"
cd "$dir"

python3 - "$mib" <<'PY'
import struct, sys
packets = int(sys.argv[1]) * 1024 * 1024 // 188
for take in (1, 2):
    with open(f"take{take}.ts", "wb") as f:
        filler = bytes(188 - 13)
        f.write(b"".join(b"\x47" + struct.pack("<IQ", take, i) + filler for i in range(packets)))
PY
sync

count=$((1024 * 500))
run() { # donor-packet receiver-packet
  local t0 t1
  t0=$(date +%s%N)
  "$movdata" splice take1.ts take2.ts --donor-offset $((188 * $1)) --receiver-offset $((188 * $2)) --length $((188 * count)) --json
  t1=$(date +%s%N)
  echo "  took $(( (t1 - t0) / 1000000 )) ms"
}
echo "1. cut packets [200000, +$count) of take1.ts, paste before packet 150848 of take2.ts (200000 - 150848 = 1024 x 48)"
run 200000 150848
echo "2. cut packets [400000, +$count) of take1.ts as it is now, paste before packet 700001 of take2.ts as it is now (not 1024 x k apart)"
run 400000 700001

python3 - "$mib" "$count" <<'PY'
import struct, sys
packets = int(sys.argv[1]) * 1024 * 1024 // 188
n = int(sys.argv[2])
def read(name):
    data = open(name, "rb").read()
    assert len(data) % 188 == 0, f"{name}: {len(data)} bytes is not whole packets"
    out = []
    for i in range(0, len(data), 188):
        assert data[i] == 0x47, f"{name}: no sync byte at {i}"
        out.append(struct.unpack_from("<IQ", data, i + 1))
    return out
t1 = [(1, i) for i in range(packets)]
t2 = [(2, i) for i in range(packets)]
cut1 = t1[200000:200000 + n]; t1 = t1[:200000] + t1[200000 + n:]
t2 = t2[:150848] + cut1 + t2[150848:]
# the second cut's packet numbers count in the files as the first cut left them
cut2 = t1[400000:400000 + n]; t1 = t1[:400000] + t1[400000 + n:]
t2 = t2[:700001] + cut2 + t2[700001:]
assert read("take1.ts") == t1, "take1.ts: packets out of place"
assert read("take2.ts") == t2, "take2.ts: packets out of place"
print(f"check: OK, every packet of take1.ts ({len(t1)}) and take2.ts ({len(t2)}) is where it should be")
PY
