// liveloop: goroutines that run and never park past a threshold. One
// leak and its healthy twins, each at its own creation site:
//   - retry: started 20 times a second, each retries forever an operation
//     that never succeeds, sleeping a few µs each turn: never parked long,
//     never finishing (the leak);
//   - poolWorker: a fixed pool of 4 busy-looping workers;
//   - serveConn / holdConn: a goroutine per TCP connection on each side,
//     20 connections a second, each closed after 300 ms (they come and go);
//   - startupLoop: 8 loops started with the program that sleep 1 ms
//     each turn forever, and tickerLoop: 2 loops selecting on a 5 ms ticker;
//   - burstLoop: 50 loops like startupLoop, all started at once 3 s after
//     READY (grows once, then no more).
//
// GOMAXPROCS is 1: the loops share one core. Prints READY once the
// start-up goroutines run.
package main

import (
	"bufio"
	"fmt"
	"net"
	"runtime"
	"sync/atomic"
	"time"
)

var (
	succeed atomic.Bool // never set: every attempt fails
	turns   atomic.Int64
	quit    = make(chan struct{}) // never closed
)

func attempt(id int) bool {
	turns.Add(1)
	return succeed.Load()
}

// retry never returns: its operation never succeeds.
func retry(id int) {
	for !attempt(id) {
		time.Sleep(time.Millisecond)
	}
}

func poolWorker() {
	x := 0
	for {
		for i := 0; i < 10000; i++ {
			x += i
		}
		time.Sleep(time.Millisecond)
	}
}

func startupLoop() {
	for {
		turns.Add(1)
		time.Sleep(time.Millisecond)
	}
}

func burstLoop() {
	startupLoop()
}

func tickerLoop() {
	t := time.NewTicker(5 * time.Millisecond)
	for {
		select {
		case <-t.C:
			turns.Add(1)
		case <-quit:
			return
		}
	}
}

func serveConn(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		if _, err := r.ReadString('\n'); err != nil {
			return
		}
	}
}

func holdConn(addr string) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return
	}
	fmt.Fprintf(c, "hello\n")
	time.Sleep(300 * time.Millisecond)
	c.Close()
}

func serve(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go serveConn(c)
	}
}

func main() {
	runtime.GOMAXPROCS(1)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go serve(l)
	for i := 0; i < 4; i++ {
		go poolWorker()
	}
	for i := 0; i < 8; i++ {
		go startupLoop()
	}
	for i := 0; i < 2; i++ {
		go tickerLoop()
	}
	fmt.Println("READY")
	tick := time.NewTicker(50 * time.Millisecond)
	for i := 0; ; i++ {
		<-tick.C
		go holdConn(l.Addr().String())
		if i < 2000 {
			go retry(i)
		}
		if i == 60 {
			for k := 0; k < 50; k++ {
				go burstLoop()
			}
		}
	}
}
