// timerwait: goroutines started one by one (every 100 ms, up to -n), each
// waiting in a select on channels of its own that nobody ever sends on or
// closes. With -timer, one case of each select is its own time.Timer's
// channel (1 h): the timer is its waker, healthy. Without, nothing can ever
// wake them: a leak. -ticker adds a goroutine per start looping on a select
// over its own time.Ticker and a quit channel of its own. -fed adds, per
// start, a goroutine waiting on channels of its own that a feeder holds
// (a goroutine looping on its own time.Ticker, as a backoff ticker feeds
// a retry loop) and a goroutine waiting on a WaitGroup whose worker waits
// on a fed channel (a fan-out of retries): a timer wakes their feeders,
// healthy. -range adds, per start, a goroutine ranging over a running
// Ticker of its own (healthy) and one ranging over a Ticker it stopped
// first (blocked forever). Prints "ready" once all are started.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

func waitTimer(done chan struct{}, quit chan int) {
	t := time.NewTimer(time.Hour)
	select {
	case <-t.C:
	case <-done:
	case <-quit:
	}
}

func waitForever(done chan struct{}, quit chan int) {
	select {
	case <-done:
	case <-quit:
	}
}

func tick(quit chan int) {
	t := time.NewTicker(time.Hour)
	for {
		select {
		case <-t.C:
		case <-quit:
			return
		}
	}
}

// waitFed waits as waitForever does, on channels its feeder holds.
func waitFed(done chan struct{}, quit chan int) {
	select {
	case <-done:
	case <-quit:
	}
}

// feed closes done once its ticker fires (in an hour), as
// github.com/cenkalti/backoff's Ticker feeds its channel.
func feed(done chan struct{}) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	stop := make(chan struct{})
	for {
		select {
		case <-t.C:
			close(done)
			return
		case <-stop:
			return
		}
	}
}

// rangeTicker ranges over a running Ticker (fires in an hour).
func rangeTicker() {
	t := time.NewTicker(time.Hour)
	for range t.C {
	}
}

// rangeStopped ranges over a Ticker it stopped: Stop closes nothing.
func rangeStopped() {
	t := time.NewTicker(time.Hour)
	t.Stop()
	for range t.C {
	}
}

// waitGroupFed waits for a worker that waits on a fed channel.
func waitGroupFed() {
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		waitFed(done, nil)
	}()
	go feed(done)
	wg.Wait()
}

func main() {
	n := flag.Int("n", 40, "goroutines")
	timer := flag.Bool("timer", false, "each select has a timer case")
	ticker := flag.Bool("ticker", false, "also a ticker goroutine per start")
	fed := flag.Bool("fed", false, "also waiters fed by ticker goroutines per start")
	ranging := flag.Bool("range", false, "also goroutines ranging over a running and a stopped Ticker per start")
	flag.Parse()
	for i := 0; i < *n; i++ {
		done, quit := make(chan struct{}), make(chan int)
		if *timer {
			go waitTimer(done, quit)
		} else {
			go waitForever(done, quit)
		}
		if *ticker {
			go tick(make(chan int))
		}
		if *fed {
			fedDone := make(chan struct{})
			go waitFed(fedDone, make(chan int))
			go feed(fedDone)
			go waitGroupFed()
		}
		if *ranging {
			go rangeTicker()
			go rangeStopped()
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
}
