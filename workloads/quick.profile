# The quick profile: CI and `make check`, sized for a TCG guest where rxe
# moves about 60 MB/s.  Keys: see lib/harness/profile.h.
name = quick
file_size = 256k
block_size = 4096
duration = 2
threads = 1
qdepth = 4
timeout = 300
cqe_timeout_ms = 20000
hang_bound = 20
# A call asleep where only dropping pins can wake it (a DAX layout break:
# wchan in the watchdog's table) is a hang this soon once traffic stops.
pin_wait_bound = 5
# Race layout threads pause quiet_ms after every burst operations, so a
# known share of reads meets no layout change and is judged strictly.
burst = 1
quiet_ms = 20
