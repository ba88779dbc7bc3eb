#!/bin/sh
# The example application of the compose examples: it starts only once secrets-sync is healthy, so
# /secrets/db.env exists. It reports which user it would connect as and how long the password is,
# never the password itself, and notices when the file changes.
set -eu
file=/secrets/db.env
last=""
while :; do
  if [ ! -r "$file" ]; then
    echo "app: cannot read $file" >&2
    exit 1
  fi
  user="$(sed -n 's/^DB_USER=//p' "$file")"
  length="$(sed -n 's/^DB_PASSWORD=//p' "$file" | tr -d '\n' | wc -c)"
  stamp="$(stat -c %Y.%i "$file")" # a rename (atomic write) changes the inode
  if [ "$stamp" != "$last" ]; then
    echo "app: connecting as $user (password of $length characters)"
    last="$stamp"
  fi
  sleep 5
done
