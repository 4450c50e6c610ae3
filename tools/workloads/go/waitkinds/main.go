// waitkinds parks goroutines in every kind of wait the runtime names, each
// started by its own named function so a test can find it by start_func:
// private channels (one each), a shared channel (one for all), select,
// sync.Mutex, sync.RWMutex, sync.WaitGroup, sync.Cond and sleep. Plus waits
// inside functions the compiler inlines (go build -gcflags=-m says "can
// inline waitOn", "can inline readPipe"): a goroutine parked in waitOn called
// by recvInlined, one started straight on waitOn (its go-statement wrapper
// inlines it), and a thread locked by blockThread asleep in read(2) inside
// readPipe. They have no frame of their own: only the binary's inline tables
// name them.
package main

import (
	"fmt"
	"runtime"
	"sync"
	"syscall"
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

func waitOn(ch chan int) {
	<-ch // INLINED-PARK
}

//go:noinline
func recvInlined(ch chan int) {
	waitOn(ch) // INLINED-CALL
}

func readPipe(fd int, buf []byte) {
	syscall.Read(fd, buf) // INLINED-READ
}

//go:noinline
func blockThread(fd int) {
	runtime.LockOSThread()
	readPipe(fd, make([]byte, 1)) // INLINED-READ-CALL
}

func main() {
	var pipe [2]int
	if err := syscall.Pipe(pipe[:]); err != nil {
		panic(err)
	}
	go blockThread(pipe[0])
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
		go recvInlined(make(chan int))
		go waitOn(make(chan int))
	}
	fmt.Println("READY")
	select {}
}
