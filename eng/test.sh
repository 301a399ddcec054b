#!/usr/bin/env bash
# The whole test suite. As root it first installs what is missing (eng/deps.sh), mounts the
# scratch filesystems (eng/scratch-fs.sh) and unmounts them on any exit; without root the
# filesystem tests are reported skipped.
# Extra arguments go to `dotnet test` (e.g. -- --filter-method '*Move*').
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then
  bash eng/deps.sh
  root=${MOVDATA_SCRATCH_ROOT:-/var/tmp/movdata-scratch}
  trap 'bash eng/scratch-fs.sh down "$root"' EXIT
  trap 'exit 130' INT TERM
  line=$(bash eng/scratch-fs.sh up "$root")
  export "${line?}"
  echo "scratch filesystems: $MOVDATA_SCRATCH"
fi
dotnet test "$@"
