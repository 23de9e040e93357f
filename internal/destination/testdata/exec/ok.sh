#!/bin/sh
# Succeeds, saying so on stdout and stderr.
echo "delivered $HOOKGATE_EVENT_ID"
echo "a note" >&2
