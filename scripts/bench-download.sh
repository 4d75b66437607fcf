#!/usr/bin/env bash
# Download memory benchmark: the Kling provider fetches 16, 128 and 512 MiB videos
# by URL and 16 and 64 MiB base64 results from `genworker simulate` (a separate
# process) and prints peak RSS growth over its own baseline, divided by the size;
# then the 512 MiB video is uploaded to an S3-compatible bucket (moto, installed
# and started by scripts/moto.sh) the way S3 result storage does it.
# Goals: ≤32 MiB growth by URL at every size and for the upload; ≤1.5× the video
# size for base64.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/moto.sh
source scripts/moto.sh
if ! start_moto; then
  echo "## moto could not be started: the S3 upload case is SKIPPED"
  unset TEST_S3_ENDPOINT
fi
cargo bench --bench download
