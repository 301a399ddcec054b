#!/usr/bin/env bash
# How fast the movdata command starts, as each way of getting it runs it, written to
# docs/benchmarks-startup.md:
#   installed tool    dotnet tool install of MovData.Tool from eng/pack.sh's packages (the
#                     Native AOT binary of MovData.Tool.linux-x64, behind the tool's link)
#   published binary  dotnet publish src/MovData.Cli (the README's first command)
#   JIT build         the framework-dependent build, which the tool package ran before it
#                     carried the native binary
#
#   bash bench/tool-startup.sh [RUNS]      (default 50)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
work=$(mktemp -d /tmp/movdata-startup.XXXXXX)
trap 'rm -rf "$work"' EXIT

bash eng/pack.sh "$work/feed" >/dev/null
dotnet tool install --tool-path "$work/tools" --add-source "$work/feed" MovData.Tool >/dev/null
dotnet publish src/MovData.Cli -c Release -o artifacts/aot -nologo -v quiet
dotnet publish src/MovData.Cli -c Release -p:PublishAot=false -o "$work/jit" -nologo -v quiet

{
  echo "# Start-up of the movdata command"
  echo
  echo "Written by \`bash bench/tool-startup.sh $runs\`; do not edit by hand. $(nproc) CPUs, $(uname -r), $(dotnet --version) SDK."
  echo "Each command run $runs times per verb, interleaved; wall time from fork to exit, peak"
  echo "resident memory by GNU time's %M; measured by \`bench/tool-startup.py\`."
  echo
  python3 bench/tool-startup.py "$runs" "$work" \
    "installed tool=$work/tools/movdata" \
    "published binary=artifacts/aot/movdata" \
    "JIT build=$work/jit/MovData.Cli"
} > docs/benchmarks-startup.md
cat docs/benchmarks-startup.md
