// waitkinds parks goroutines in every kind of wait the runtime names, each
// started by its own named function so a test can find it by start_func:
// private channels (one each), a shared channel (one for all), select,
// sync.Mutex, sync.RWMutex, sync.WaitGroup, sync.Cond and sleep.
package main

import (
	"fmt"
	"sync"
	"time"
)

const perKind = 3

var (
	shared = make(chan int)
	mu     sync.Mutex
	rw     sync.RWMutex
	wg     sync.WaitGroup
	cond   = sync.NewCond(&sync.Mutex{})
)

//go:noinline
func recvPrivate(ch chan int) { <-ch }

//go:noinline
func sendPrivate(ch chan int) { ch <- 1 }

//go:noinline
func recvShared() { <-shared }

//go:noinline
func selectTwo(a, b chan int) {
	select {
	case <-a:
	case <-b:
	}
}

//go:noinline
func lockMutex() { mu.Lock() }

//go:noinline
func rlockRW() { rw.RLock() }

//go:noinline
func waitGroup() { wg.Wait() }

//go:noinline
func condWait() {
	cond.L.Lock()
	cond.Wait()
}

//go:noinline
func sleepLong() { time.Sleep(time.Hour) }

func main() {
	mu.Lock()
	rw.Lock()
	wg.Add(1)
	for i := 0; i < perKind; i++ {
		go recvPrivate(make(chan int))
		go sendPrivate(make(chan int))
		go recvShared()
		go selectTwo(make(chan int), make(chan int))
		go lockMutex()
		go rlockRW()
		go waitGroup()
		go condWait()
		go sleepLong()
	}
	fmt.Println("READY")
	select {}
}
