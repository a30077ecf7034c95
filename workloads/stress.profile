# The stress profile: longer races, bigger files; lab machines or patient VMs.
name = stress
file_size = 16m
block_size = 4096
duration = 120
threads = 4
qdepth = 16
timeout = 900
cqe_timeout_ms = 30000
hang_bound = 60
# Race layout threads pause quiet_ms after every burst operations, so a
# known share of reads meets no layout change and is judged strictly.
burst = 4
quiet_ms = 50
# Background fio jobs beside the cases (setup/host/pressure.sh runs
# workloads/<job>.fio) and the working set of each (capped at an eighth of
# the free space where it runs).
pressure = pagecache-churn,reclaim,rdma-mmap
pressure_size = 256m
