#!/usr/bin/env bash
# Wraps BenchmarkDotNet's GitHub report of bench/MovData.Benchmarks in a page of its own.
set -euo pipefail
cat <<'TEXT'
# In-process overhead (BenchmarkDotNet)

Written by `bench/run.sh` from `bench/MovData.Benchmarks`; do not edit by hand.

`FileRange.Move` (validation, the receiver-hole check, the donor's segment walk, the cached
capability lookup, the result) against the bare syscalls of its clone-punch mechanism
(FICLONERANGE, fsync, punch, fdatasync) on the scratch XFS with reflink. Each invocation
moves the range the other way. Ratio = Move / bare syscalls.

TEXT
cat "$1"
