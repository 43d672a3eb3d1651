#!/usr/bin/env bash
# The long form of tests/guest/scale-unload.sh: 1000 services x 10 real servers per namespace.
exec bash "$(dirname "$0")/../../guest/scale-unload.sh" 1000
