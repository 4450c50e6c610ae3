#!/bin/sh
# Run every test: cmocka unit binaries, then (unless --unit-only) the
# end-to-end TAP scripts in tests/e2e as root against the real kernel.
# Ends with one "N passed, N failed" line; exit status 1 if anything failed.
exec python3 "$(dirname "$0")/run_all.py" "$@"
