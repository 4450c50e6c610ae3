// workerpool is healthy: 8 workers take jobs from one shared channel that a
// producer feeds now and then.
package main

import (
	"fmt"
	"sync/atomic"
	"time"
)

func main() {
	jobs := make(chan int)
	var done int64
	for i := 0; i < 8; i++ {
		go func() {
			for j := range jobs {
				atomic.AddInt64(&done, int64(j))
			}
		}()
	}
	fmt.Println("READY")
	for i := 0; ; i++ {
		jobs <- i
		time.Sleep(10 * time.Millisecond)
	}
}
