// Command loadgen sends HTTP POSTs at a fixed rate, evenly spaced (open loop), over a fixed
// number of keep-alive connections, and reports latency percentiles measured from each
// request's scheduled send time, so a slow answer that delays the next send counts against
// the server (no coordinated omission). It is the half-load step of bench/server/bench.ts.
//
//	go run ./bench/server/loadgen -url URL -rate 3000 -warmup 5s -duration 20s -body small.json -connections 32
//
// The warm-up sends at the same rate over the same connections and is not counted. It prints
// {"p50_ms","p90_ms","p99_ms","max_ms","rps","non2xx","errors","requests"} as JSON on stdout.
//
// With -serve ADDR it is instead the floor to measure against: a Go HTTP server that reads each
// request body and answers a fixed JSON object, so the latency the generator reports for it is
// what this machine and this generator add to any server.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

type result struct {
	P50      float64 `json:"p50_ms"`
	P90      float64 `json:"p90_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
	RPS      float64 `json:"rps"`
	Non2xx   int     `json:"non2xx"`
	Errors   int     `json:"errors"`
	Requests int     `json:"requests"`
	// How late the pacer handed each measured request to a connection, past its scheduled
	// time: the generator's own share of every latency above. The runtime's timers wake through
	// epoll_pwait, whose timeout is whole milliseconds, so sub-millisecond spacing comes out in
	// bursts (a pacer on nanosleep was tried: lower p50 lateness, higher p99, no better latency).
	PacerLateP50 float64 `json:"pacer_late_p50_ms"`
	PacerLateP99 float64 `json:"pacer_late_p99_ms"`
}

// percentile of sorted values (0 for none).
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

func main() {
	url := flag.String("url", "", "URL to POST to")
	rate := flag.Float64("rate", 1000, "requests per second")
	duration := flag.Duration("duration", 10*time.Second, "how long to send and measure")
	warmup := flag.Duration("warmup", 0, "how long to send first at the same rate, not measured")
	bodyFile := flag.String("body", "", "file with the request body (JSON)")
	connections := flag.Int("connections", 32, "keep-alive connections (and so requests in flight at most)")
	serve := flag.String("serve", "", "answer requests on this address instead of sending them (the floor)")
	flag.Parse()
	if *serve != "" {
		fmt.Fprintln(os.Stderr, serveFloor(*serve))
		os.Exit(1)
	}
	if *url == "" || *bodyFile == "" || *rate <= 0 || *connections <= 0 {
		fmt.Fprintln(os.Stderr, "usage: loadgen -url URL -rate N -duration D -body FILE [-connections N]")
		os.Exit(2)
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	warm := int(*rate * warmup.Seconds())
	total := warm + int(*rate*duration.Seconds())
	interval := time.Duration(float64(time.Second) / *rate)
	// Each scheduled send waits here until a connection is free; the wait is part of its latency.
	type send struct {
		at       time.Time
		measured bool
	}
	schedule := make(chan send, total)
	latencies := make([][]float64, *connections)
	non2xx := make([]int, *connections)
	errs := make([]int, *connections)
	var wg sync.WaitGroup
	for c := 0; c < *connections; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1, DisableCompression: true}}
			for s := range schedule {
				req, _ := http.NewRequest(http.MethodPost, *url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					if s.measured {
						errs[c]++
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if !s.measured {
					continue
				}
				latencies[c] = append(latencies[c], float64(time.Since(s.at))/float64(time.Millisecond))
				if resp.StatusCode < 200 || resp.StatusCode > 299 {
					non2xx[c]++
				}
			}
		}(c)
	}

	start := time.Now()
	var measuredFrom time.Time
	late := make([]float64, 0, total-warm)
	for i := 0; i < total; i++ {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		if i == warm {
			measuredFrom = at
		}
		if i >= warm {
			late = append(late, float64(time.Since(at))/float64(time.Millisecond))
		}
		schedule <- send{at: at, measured: i >= warm}
	}
	close(schedule)
	wg.Wait()
	elapsed := time.Since(measuredFrom)

	var all []float64
	r := result{}
	for c := range latencies {
		all = append(all, latencies[c]...)
		r.Non2xx += non2xx[c]
		r.Errors += errs[c]
	}
	slices.Sort(all)
	r.P50, r.P90, r.P99, r.Requests = percentile(all, 0.50), percentile(all, 0.90), percentile(all, 0.99), len(all)
	if len(all) > 0 {
		r.Max = all[len(all)-1]
	}
	r.RPS = float64(len(all)) / elapsed.Seconds()
	slices.Sort(late)
	r.PacerLateP50, r.PacerLateP99 = percentile(late, 0.50), percentile(late, 0.99)
	_ = json.NewEncoder(os.Stdout).Encode(r)
}

// serveFloor answers every request on addr with {"hello":"world"} once its body is read; it
// returns only on error.
func serveFloor(addr string) error {
	answer := []byte(`{"hello":"world"}`)
	return http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	}))
}
