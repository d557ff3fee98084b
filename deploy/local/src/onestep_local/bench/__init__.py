"""`make bench`: onestep's throughput, latency and footprint on this machine, beside the
transport's own ceiling measured on the same broker (see docs/performance.md)."""
