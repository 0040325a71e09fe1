#!/bin/sh
# Cortex's process runner starts `command` as one file with the job folder
# as its only argument; this hands both to nbsoar in analyzer mode.  NBSOAR
# names the executable when it is not on Cortex's PATH.
exec "${NBSOAR:-nbsoar}" cortex --analyzer "$@"
