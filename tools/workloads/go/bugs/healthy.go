// Healthy look-alikes: goroutines parked by design, each shaped like one of
// the bugs (many at one site, private channels, a shared channel, mutexes,
// WaitGroups, select) but resting since start-up, woken now and then, or
// bound to finish. None of them is a leak.
package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func init() {
	register("ok_pool_shared_chan", healthy, "8 workers ranging over one shared, idle job channel", okPoolSharedChan)
	register("ok_pool_busy", healthy, "8 workers on a shared channel, a job every 20 ms", okPoolBusy)
	register("ok_service_select", healthy, "6 service goroutines resting in select on quit and a 1 h ticker since start-up", okServiceSelect)
	register("ok_ticker_loop", healthy, "a goroutine doing work every 50 ms on a ticker", okTickerLoop)
	register("ok_sleepers", healthy, "5 goroutines in time.Sleep(1h)", okSleepers)
	register("ok_listener_accept", healthy, "3 TCP listeners in Accept", okListenerAccept)
	register("ok_http_keepalive", healthy, "net/http server with 20 idle keep-alive connections", okHTTPKeepalive)
	register("ok_wg_completes", healthy, "fan-out with a WaitGroup every 100 ms that completes", okWGCompletes)
	register("ok_signal_wait", healthy, "a goroutine waiting for SIGHUP/SIGUSR1 via signal.Notify", okSignalWait)
	register("ok_root_ctx_done", healthy, "40 long-lived goroutines waiting on the root context's Done since start-up", okRootCtxDone)
	register("ok_cond_queue", healthy, "4 consumers on a sync.Cond queue, an item every 30 ms", okCondQueue)
	register("ok_mutex_brief", healthy, "6 goroutines taking one mutex briefly in a loop", okMutexBrief)
	register("ok_semaphore_cycling", healthy, "10 goroutines through a 2-token channel semaphore, tokens released", okSemaphoreCycling)
	register("ok_subscribers_idle", healthy, "30 subscribers, each on its own channel since start-up, no publication yet", okSubscribersIdle)
	register("ok_subscribers_fed", healthy, "30 subscribers on their own channels, a publication every 500 ms", okSubscribersFed)
	register("ok_rate_limiter", healthy, "a token-bucket refill goroutine and 4 limited callers", okRateLimiter)
	register("ok_errgroup_buffered", healthy, "first error wins, results channel buffered for all (x20 calls)", okErrgroupBuffered)
	register("ok_timeout_buffered", healthy, "result sent after the caller timed out, into a buffer of 1 (x300)", okTimeoutBuffered)
	register("ok_pipeline_trickle", healthy, "3-stage pipeline with an item every 30 ms", okPipelineTrickle)
	register("ok_conn_readers_fed", healthy, "20 connection readers, the peer writes every 300 ms", okConnReadersFed)
	register("ok_rwmutex_readers", healthy, "readers and a writer on an RWMutex, all brief", okRWMutexReaders)
	register("ok_private_workers_idle", healthy, "16 workers each with a private channel from a dispatcher, idle since start-up", okPrivateWorkersIdle)
	register("ok_waits_with_deadline", healthy, "25 goroutines each waiting on its own reply with a 1 h deadline", okWaitsWithDeadline)
	register("ok_batcher", healthy, "a batcher flushing on size or a 100 ms timer", okBatcher)
	register("ok_watchdog", healthy, "a watchdog selecting on heartbeats every 100 ms and a timeout", okWatchdog)
	register("ok_slow_backend", healthy, "requests waiting 1-4 s on their own replies, which come", okSlowBackend)
	register("ok_singleflight", healthy, "callers wait on one in-flight call that completes every 1 s", okSingleflight)
	register("ok_server_main_wait", healthy, "server goroutines in Accept, a supervisor in wg.Wait for them", okServerMainWait)
	register("ok_event_bus_select", healthy, "an event loop in a 5-case select, events every 200 ms on one case", okEventBusSelect)
	register("ok_runtime_only", healthy, "nothing but the runtime's own goroutines", okRuntimeOnly)
	register("ok_nil_case_select", healthy, "select with a nil-channel (disabled) case and a fed one", okNilCaseSelect)
	register("ok_pipe_reader", healthy, "a reader of an os.Pipe fed every 200 ms", okPipeReader)
	register("ok_conn_writers_idle", healthy, "20 idle connections, each a reader in Read and a writer on its own channel, started between short requests", okConnWritersIdle)
	register("ok_shutdown_waiters", healthy, "8 cleanup goroutines waiting for a shutdown channel closed at exit", okShutdownWaiters)
}

func every(d time.Duration, f func()) {
	go func() {
		for {
			time.Sleep(d)
			f()
		}
	}()
}

func poolOn(jobs chan int, n int) {
	var sum int64
	for i := 0; i < n; i++ {
		go func() {
			for j := range jobs {
				atomic.AddInt64(&sum, int64(j))
			}
		}()
	}
}

// A server keeps its job queue where its request handlers reach it (here a
// package variable): the idle workers can still be woken. A queue that only
// the workers hold would leave them blocked forever (reachability proves it).
var idleJobs chan int

func okPoolSharedChan() int {
	idleJobs = make(chan int)
	poolOn(idleJobs, 8)
	return 8
}

func okPoolBusy() int {
	jobs := make(chan int)
	poolOn(jobs, 8)
	every(20*time.Millisecond, func() { jobs <- 1 })
	return 7
}

var quit = make(chan struct{}) // closed at shutdown, which these programs never reach

func okServiceSelect() int {
	for i := 0; i < 6; i++ {
		go func() {
			t := time.NewTicker(time.Hour)
			for {
				select {
				case <-quit:
					return
				case <-t.C:
				}
			}
		}()
	}
	return 6
}

func okTickerLoop() int {
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		for range t.C {
			_ = time.Now()
		}
	}()
	return 1
}

func okSleepers() int {
	for i := 0; i < 5; i++ {
		go time.Sleep(time.Hour)
	}
	return 5
}

func listen() net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	return ln
}

func acceptLoop(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}

func okListenerAccept() int {
	for i := 0; i < 3; i++ {
		go acceptLoop(listen())
	}
	return 3
}

var keepConns []net.Conn

func okHTTPKeepalive() int {
	ln := listen()
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	}))
	for i := 0; i < 20; i++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			panic(err)
		}
		c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		buf := make([]byte, 512)
		c.Read(buf)
		keepConns = append(keepConns, c) // stays open, idle
	}
	return 21
}

func okWGCompletes() int {
	every(100*time.Millisecond, func() {
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); time.Sleep(5 * time.Millisecond) }()
		}
		wg.Wait()
	})
	return 1
}

func okSignalWait() int {
	go func() {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGHUP, syscall.SIGUSR1)
		for range sigs {
		}
	}()
	return 1
}

func okRootCtxDone() int {
	ctx, cancel := context.WithCancel(context.Background())
	rootCancel = cancel
	for i := 0; i < 40; i++ {
		go func() {
			<-ctx.Done() // release per-connection state at shutdown
		}()
	}
	return 40
}

var rootCancel context.CancelFunc

func okCondQueue() int {
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	var items []int
	for i := 0; i < 4; i++ {
		go func() {
			for {
				mu.Lock()
				for len(items) == 0 {
					cond.Wait()
				}
				items = items[1:]
				mu.Unlock()
			}
		}()
	}
	every(30*time.Millisecond, func() {
		mu.Lock()
		items = append(items, 1)
		mu.Unlock()
		cond.Signal()
	})
	return 3
}

func okMutexBrief() int {
	var mu sync.Mutex
	n := 0
	for i := 0; i < 6; i++ {
		go func() {
			for {
				mu.Lock()
				n++
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	return 0
}

func okSemaphoreCycling() int {
	sem := make(chan struct{}, 2)
	for i := 0; i < 10; i++ {
		go func() {
			for {
				sem <- struct{}{}
				time.Sleep(10 * time.Millisecond)
				<-sem
			}
		}()
	}
	return 0
}

func subscribers(n int) []chan int {
	subs := make([]chan int, n)
	for i := range subs {
		subs[i] = make(chan int)
		go func(ch chan int) {
			for range ch {
			}
		}(subs[i])
	}
	return subs
}

// The publisher's subscriber list stays reachable (a package variable, as a
// broker's registry): the idle subscribers can still be fed.
var idleSubscribers []chan int

func okSubscribersIdle() int {
	idleSubscribers = subscribers(30)
	return 30
}

func okSubscribersFed() int {
	subs := subscribers(30)
	every(500*time.Millisecond, func() {
		for _, s := range subs {
			s <- 1
		}
	})
	return 30
}

func okRateLimiter() int {
	tokens := make(chan struct{}, 5)
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		for range t.C {
			select {
			case tokens <- struct{}{}:
			default:
			}
		}
	}()
	for i := 0; i < 4; i++ {
		go func() {
			for {
				<-tokens
			}
		}()
	}
	return 4
}

func okErrgroupBuffered() int {
	every(100*time.Millisecond, func() {
		results := make(chan error, 4)
		for i := 0; i < 4; i++ {
			go func(i int) {
				if i == 0 {
					results <- errBackend
					return
				}
				results <- nil
			}(i)
		}
		<-results
	})
	return 0
}

func okTimeoutBuffered() int {
	for r := 0; r < 300; r++ {
		go func() {
			result := make(chan int, 1)
			go func() { result <- slowBackend(30 * time.Millisecond) }()
			select {
			case <-result:
			case <-time.After(10 * time.Millisecond):
			}
		}()
	}
	return 0
}

func okPipelineTrickle() int {
	src := make(chan int)
	out := stage(stage(src))
	go func() {
		for range out {
		}
	}()
	every(30*time.Millisecond, func() { src <- 1 })
	return 3
}

func okConnReadersFed() int {
	ln := listen()
	var peers []net.Conn
	for i := 0; i < 20; i++ {
		go func() {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				panic(err)
			}
			buf := make([]byte, 64)
			for {
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		}()
		c, err := ln.Accept()
		if err != nil {
			panic(err)
		}
		peers = append(peers, c)
	}
	every(300*time.Millisecond, func() {
		for _, c := range peers {
			c.Write([]byte("tick\n"))
		}
	})
	return 20
}

func okRWMutexReaders() int {
	var mu sync.RWMutex
	for i := 0; i < 4; i++ {
		go func() {
			for {
				mu.RLock()
				time.Sleep(time.Millisecond)
				mu.RUnlock()
				time.Sleep(3 * time.Millisecond)
			}
		}()
	}
	every(50*time.Millisecond, func() { mu.Lock(); mu.Unlock() })
	return 0
}

func okPrivateWorkersIdle() int {
	workers := make([]chan int, 16)
	for i := range workers {
		workers[i] = make(chan int)
		go func(in chan int) {
			for range in {
			}
		}(workers[i])
	}
	dispatch = workers // round-robin target for requests that have not come
	return 16
}

var dispatch []chan int

func okWaitsWithDeadline() int {
	for i := 0; i < 25; i++ {
		go func() {
			reply := make(chan int)
			pending = append(pending, reply)
			select {
			case <-reply:
			case <-time.After(time.Hour):
			}
		}()
	}
	return 25
}

var pending []chan int

func okBatcher() int {
	items := make(chan int)
	go func() {
		var batch []int
		t := time.NewTimer(100 * time.Millisecond)
		for {
			select {
			case v := <-items:
				batch = append(batch, v)
			case <-t.C:
				batch = batch[:0]
				t.Reset(100 * time.Millisecond)
			}
		}
	}()
	every(40*time.Millisecond, func() { items <- 1 })
	return 1
}

func okWatchdog() int {
	beats := make(chan struct{})
	go func() {
		for {
			select {
			case <-beats:
			case <-time.After(10 * time.Second):
				panic("no heartbeat")
			}
		}
	}()
	every(100*time.Millisecond, func() { beats <- struct{}{} })
	return 1
}

func okSlowBackend() int {
	var seq int64
	every(250*time.Millisecond, func() {
		go func() {
			reply := make(chan int)
			d := time.Duration(1000+atomic.AddInt64(&seq, 1)%4*1000) * time.Millisecond
			go func() { time.Sleep(d); reply <- 1 }()
			<-reply
		}()
	})
	return 0
}

func okSingleflight() int {
	var mu sync.Mutex
	var inflight *sync.WaitGroup
	call := func() {
		mu.Lock()
		wg := inflight
		if wg == nil {
			wg = &sync.WaitGroup{}
			wg.Add(1)
			inflight = wg
			go func() {
				time.Sleep(time.Second)
				mu.Lock()
				inflight = nil
				mu.Unlock()
				wg.Done()
			}()
		}
		mu.Unlock()
		wg.Wait()
	}
	every(100*time.Millisecond, func() { go call() })
	return 0
}

func okServerMainWait() int {
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); acceptLoop(listen()) }()
	}
	go wg.Wait() // the supervisor returns when the servers stop
	return 3
}

func okEventBusSelect() int {
	var a, b, c, d, e = make(chan int), make(chan int), make(chan int), make(chan int), make(chan int)
	go func() {
		for {
			select {
			case <-a:
			case <-b:
			case <-c:
			case <-d:
			case <-e:
			}
		}
	}()
	busChans = []chan int{b, c, d, e}
	every(200*time.Millisecond, func() { a <- 1 })
	return 1
}

var busChans []chan int

func okRuntimeOnly() int { return 0 }

func okNilCaseSelect() int {
	fed := make(chan int)
	go func() {
		var paused chan int // nil: the case is off until resumed
		for {
			select {
			case <-paused:
			case <-fed:
			}
		}
	}()
	every(100*time.Millisecond, func() { fed <- 1 })
	return 1
}

func okPipeReader() int {
	r, w, err := os.Pipe()
	if err != nil {
		panic(err)
	}
	go func() {
		buf := make([]byte, 64)
		for {
			if _, err := r.Read(buf); err != nil {
				return
			}
		}
	}()
	every(200*time.Millisecond, func() { w.Write([]byte("x")) })
	return 1
}

func okShutdownWaiters() int {
	for i := 0; i < 8; i++ {
		go func() {
			<-quit // flush and close at shutdown
		}()
	}
	return 8
}

var (
	writerQueues []chan []byte
	serverConns  = make(chan net.Conn, 20)
)

// okConnWritersIdle: one connection at a time, each with its reader and its
// writer goroutine (the writer rests on a channel of its own until a message
// is queued), a short-lived request goroutine in between: writers started
// one by one among goroutines that are gone, as a leak's are, but each has
// its reader parked beside it.
func okConnWritersIdle() int {
	ln := listen()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			serverConns <- c // held open, silent
		}
	}()
	for i := 0; i < 20; i++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			panic(err)
		}
		out := make(chan []byte)
		go func() {
			buf := make([]byte, 64)
			for {
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		}()
		go func() {
			for b := range out {
				c.Write(b)
			}
		}()
		writerQueues = append(writerQueues, out)
		var wg sync.WaitGroup // a short request between two connections
		wg.Add(1)
		go func() { defer wg.Done(); _ = c.LocalAddr() }()
		wg.Wait()
	}
	return 41
}
