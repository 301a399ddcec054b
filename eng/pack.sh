#!/usr/bin/env bash
# Makes every package into one folder (default artifacts/pkg):
#   MovData                     the library (with XML docs, README, symbols: MovData.*.snupkg)
#   MovData.Tool                the movdata command: names its platform packages, and
#                               dotnet tool install takes the one for its machine
#   MovData.Tool.linux-x64      the Native AOT movdata for x86-64
#   MovData.Tool.linux-arm64    the Native AOT movdata for arm64
# Native AOT compiles for one platform per run; the other one is cross-compiled, which needs
# clang, lld and the target's GNU binutils and C library (eng/deps.sh installs them on
# Debian: gcc-aarch64-linux-gnu, binutils-aarch64-linux-gnu, libc6-dev-arm64-cross).
#
#   bash eng/pack.sh [OUT] [-p:RepositoryUrl=https://...]
set -euo pipefail
cd "$(dirname "$0")/.."
out=artifacts/pkg
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then out=$1; shift; fi
mkdir -p "$out"

case "$(uname -m)" in
  x86_64) host=linux-x64 ;;
  aarch64) host=linux-arm64 ;;
  *) echo "eng/pack.sh: no Native AOT tool package for $(uname -m)" >&2; exit 1 ;;
esac
declare -A triple=([linux-x64]=x86_64-linux-gnu [linux-arm64]=aarch64-linux-gnu)

dotnet pack src/MovData -c Release -o "$out" -nologo -v quiet "$@"
dotnet pack src/MovData.Cli -c Release -o "$out" -nologo -v quiet "$@"
for rid in linux-x64 linux-arm64; do
  cross=()
  if [ "$rid" != "$host" ]; then
    objcopy=${triple[$rid]}-objcopy
    for tool in clang ld.lld "$objcopy"; do
      command -v "$tool" >/dev/null || { echo "eng/pack.sh: cross-compiling $rid needs $tool (eng/deps.sh installs it)" >&2; exit 1; }
    done
    cross=(-p:CppCompilerAndLinker=clang -p:ObjCopyName="$objcopy")
  fi
  # A fresh publish folder per platform: the package takes whatever the folder holds.
  rm -rf "artifacts/publish/MovData.Cli/release_$rid"
  dotnet pack src/MovData.Cli -c Release -r "$rid" -o "$out" -nologo -v quiet "${cross[@]}" "$@"
done
ls -1 "$out"/*.nupkg "$out"/*.snupkg
