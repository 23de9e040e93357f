#!/bin/sh
# Exits with the code given as $1, after a word on stderr.
echo "failing with $1" >&2
exit "$1"
