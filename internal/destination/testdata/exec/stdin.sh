#!/bin/sh
# Copies stdin, byte for byte, to the file $1.
cat > "$1"
