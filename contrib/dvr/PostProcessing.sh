#!/bin/sh
# NextPVR post-processing hook: cuts the ad breaks comskip finds out of the recording, in
# place, and keeps what it cut in a hidden file beside it (undone by `movdata restore`).
# NextPVR runs the scripts folder's PostProcessing.sh (installed from the deb:
# /var/opt/nextpvr/scripts/PostProcessing.sh) when a recording completes, with the
# recording's full path as the first parameter; the other parameters are not used here.
# MOVDATA names the movdata executable, MOVDATA_LOG the log (default: beside this script).
# --wait: the same line serves as ParallelProcessing.sh, which NextPVR starts when a
# recording starts; then movdata waits for the recorder to close the file, up to six hours.
movdata=${MOVDATA:-movdata}
log=${MOVDATA_LOG:-"$(dirname "$0")/movdata-cut.log"}
exec "$movdata" cut "$1" --edl auto --save-removed auto --wait --log "$log"
