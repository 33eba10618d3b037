#!/bin/sh
# The container's commands: `ui` (default), `cardiorag ...`, and its aliases `ingest ...`,
# `adapters ...`, `benchmarks ...` (`benchmarks quality --help`).
set -eu
command="${1:-ui}"
[ "$#" -gt 0 ] && shift
case "$command" in
  ui)
    # Inside a container the app must listen beyond localhost; publish the port on
    # 127.0.0.1 or behind a proxy, and set CARDIORAG_UI_PASSWORD (see docker/README.md).
    exec streamlit run /app/ui/app.py --server.address 0.0.0.0 --server.port 8501 \
      --server.headless true --browser.gatherUsageStats false "$@" ;;
  ingest|adapters)
    exec "$command" "$@" ;;
  benchmarks)
    exec cardiorag bench "$@" ;;
  *)
    exec "$command" "$@" ;;
esac
