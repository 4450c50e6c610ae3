// timerwait: goroutines started one by one (every 100 ms, up to -n), each
// waiting in a select on channels of its own that nobody ever sends on or
// closes. With -timer, one case of each select is its own time.Timer's
// channel (1 h): the timer is its waker, healthy. Without, nothing can ever
// wake them: a leak. -ticker adds a goroutine per start looping on a select
// over its own time.Ticker and a quit channel of its own. Prints "ready"
// once all are started.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
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

func main() {
	n := flag.Int("n", 40, "goroutines")
	timer := flag.Bool("timer", false, "each select has a timer case")
	ticker := flag.Bool("ticker", false, "also a ticker goroutine per start")
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
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
}
