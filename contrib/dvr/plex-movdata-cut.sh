#!/bin/sh
# Plex DVR post-processing script: cuts the ad breaks comskip finds out of the recording, in
# place, and keeps what it cut in a hidden file beside it (undone by `movdata restore`).
# Copy it into the Scripts folder of Plex Media Server's data directory (on Debian and Ubuntu
# /var/lib/plexmediaserver/Library/Application Support/Plex Media Server/Scripts/), make it
# executable by the plex user, and name it in Settings > Live TV & DVR > DVR Settings >
# Postprocessing script. Plex runs it with the recording's path as its one argument.
# MOVDATA names the movdata executable, MOVDATA_LOG the log (default: beside this script).
movdata=${MOVDATA:-movdata}
log=${MOVDATA_LOG:-"$(dirname "$0")/movdata-cut.log"}
"$movdata" cut "$1" --edl auto --save-removed auto --log "$log"
# Plex fails a recording whose script exits non-zero. A cut that is refused changes nothing,
# and the log says why; a cut that failed part-way is finished by the next movdata edit of
# the file or by `movdata recover`. Either way the recording is worth keeping.
exit 0
