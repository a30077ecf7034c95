# The soak profile: hours on lab hardware.
name = soak
file_size = 256m
block_size = 4096
duration = 3600
threads = 8
qdepth = 64
timeout = 7200
cqe_timeout_ms = 60000
hang_bound = 120
# Race layout threads pause quiet_ms after every burst operations, so a
# known share of reads meets no layout change and is judged strictly.
burst = 4
quiet_ms = 50
# Background fio jobs beside the cases (setup/host/pressure.sh runs
# workloads/<job>.fio) and the working set of each (capped at an eighth of
# the free space where it runs).
pressure = pagecache-churn,reclaim,rdma-mmap
pressure_size = 4g
