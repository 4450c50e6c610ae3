// abba_deadlock: C++ std::mutex lock-order (ABBA) deadlock.
//
//   ROLE deadlock_a <tid>   lock_a_then_b: holds m1, blocks forever on m2
//   ROLE deadlock_b <tid>   lock_b_then_a: holds m2, blocks forever on m1
//   ROLE main <tid>         main thread, sleeps in a loop (healthy)
//   READY                   after both threads are blocked on their 2nd lock
//
// The functions have C++ linkage (symbols _Z13lock_a_then_bv and
// _Z13lock_b_then_av, demangled "lock_a_then_b()"/"lock_b_then_a()").
// A barrier guarantees both first locks are taken before either thread
// tries its second lock, so the deadlock always happens.
//
// Options: --seconds SEC (run forever by default)
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#define WL_NOINLINE __attribute__((noipa, used))

static std::mutex m1, m2;
static pthread_barrier_t both_hold_first;
static std::atomic<int> blocked_soon{0};

static void exit_handler(int) { _exit(0); }

WL_NOINLINE void lock_a_then_b()
{
	std::lock_guard<std::mutex> first(m1);
	pthread_barrier_wait(&both_hold_first);
	std::this_thread::sleep_for(std::chrono::milliseconds(50));
	blocked_soon++;
	std::lock_guard<std::mutex> second(m2);  // deadlocks here
	std::printf("UNEXPECTED lock_a_then_b got both\n");
}

WL_NOINLINE void lock_b_then_a()
{
	std::lock_guard<std::mutex> first(m2);
	pthread_barrier_wait(&both_hold_first);
	std::this_thread::sleep_for(std::chrono::milliseconds(50));
	blocked_soon++;
	std::lock_guard<std::mutex> second(m1);  // deadlocks here
	std::printf("UNEXPECTED lock_b_then_a got both\n");
}

static void thread_a()
{
	pthread_setname_np(pthread_self(), "deadlock-a");
	std::printf("ROLE deadlock_a %d\n", (int)gettid());
	lock_a_then_b();
}

static void thread_b()
{
	pthread_setname_np(pthread_self(), "deadlock-b");
	std::printf("ROLE deadlock_b %d\n", (int)gettid());
	lock_b_then_a();
}

int main(int argc, char **argv)
{
	double seconds = 0;

	for (int i = 1; i < argc; i++) {
		if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) {
			seconds = std::atof(argv[++i]);
		} else {
			std::fprintf(stderr, "usage: %s [--seconds SEC]\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, nullptr, _IOLBF, 0);
	struct sigaction sa;
	std::memset(&sa, 0, sizeof(sa));
	sa.sa_handler = exit_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, nullptr);
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGALRM, &sa, nullptr);
	if (seconds > 0) {
		struct itimerval it;
		std::memset(&it, 0, sizeof(it));
		it.it_value.tv_sec = (time_t)seconds;
		it.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
		if (!it.it_value.tv_sec && !it.it_value.tv_usec)
			it.it_value.tv_usec = 1;
		setitimer(ITIMER_REAL, &it, nullptr);
	}
	pthread_setname_np(pthread_self(), "abba-main");
	pthread_barrier_init(&both_hold_first, nullptr, 2);

	std::thread a(thread_a);
	std::thread b(thread_b);
	a.detach();
	b.detach();
	while (blocked_soon.load() < 2)
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	std::printf("ROLE main %d\n", (int)gettid());
	std::this_thread::sleep_for(std::chrono::milliseconds(300));
	std::printf("READY\n");
	for (;;)
		std::this_thread::sleep_for(std::chrono::seconds(1));
}
