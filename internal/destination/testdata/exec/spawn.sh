#!/bin/sh
# Starts a child that would outlive a plain kill of this shell, writes the
# child's pid to $1, and waits far past any test's timeout.
sleep 300 &
echo $! > "$1"
sleep 300
