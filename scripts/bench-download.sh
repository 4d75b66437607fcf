#!/usr/bin/env bash
# Download memory benchmark: the Kling provider fetches 16, 128 and 512 MiB videos
# by URL and 16 and 64 MiB base64 results from `genworker simulate` (a separate
# process) and prints peak RSS growth over its own baseline, divided by the size.
# Goals: ≤32 MiB growth by URL at every size; ≤1.5× the video size for base64.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo bench --bench download
