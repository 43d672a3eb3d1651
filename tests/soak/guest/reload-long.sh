#!/usr/bin/env bash
# Module reload's long form: 100 cycles (tests/guest/reload.sh).
# timeout: 10800
exec bash "$(dirname "$0")/../../guest/reload.sh" 100
