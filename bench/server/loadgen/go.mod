module modelops.dev/bench/server/loadgen

go 1.26
