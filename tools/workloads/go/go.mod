module leaktrace/workloads

go 1.19
