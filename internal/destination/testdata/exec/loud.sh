#!/bin/sh
# Prints far more than an attempt keeps: a first line, 100 KB of filler,
# then a last word on stderr.
echo "first line"
i=0
while [ $i -lt 1000 ]; do
  echo "filler filler filler filler filler filler filler filler filler filler filler filler filler"
  i=$((i + 1))
done
echo "the last word" >&2
exit 1
