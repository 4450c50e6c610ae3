// bigheap: a heap of N MB of small pointerful objects (lists reachable from
// a global, as a cache would be) plus a few goroutines blocked forever on
// channels nothing reaches, for the cost of a reachability pass
// (tools/bench_reach.sh):
//
//	bigheap MB     build the heap, print READY, keep running
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

type node struct {
	next    *node
	payload [6]int64 // 64-byte objects
	ptr     *int64
}

var lists []*node

func main() {
	mb, err := strconv.Atoi(os.Args[1])
	if err != nil || mb <= 0 {
		fmt.Fprintln(os.Stderr, "usage: bigheap MB")
		os.Exit(2)
	}
	n := mb << 20 / 64
	for i := 0; i < 1024; i++ {
		lists = append(lists, nil)
	}
	for i := 0; i < n; i++ {
		x := &node{next: lists[i%1024]}
		x.ptr = &x.payload[0]
		lists[i%1024] = x
	}
	for i := 0; i < 3; i++ {
		go func() { <-make(chan int) }() // nobody else holds this channel
	}
	runtime.GC()
	fmt.Println("READY")
	for {
		time.Sleep(time.Hour)
	}
}
