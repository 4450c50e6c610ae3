// JavaBugs: the Java waits leaktrace judges (tests/matrix/test_jdk.py).
// java JavaBugs MODE...: each mode starts its threads, then the program
// prints READY and sleeps until killed. Threads are named so the test
// finds them by /proc/PID/task/TID/comm (HotSpot names native threads
// after the Java name, cut to 15 characters).
//   sync-deadlock  "sync-a"/"sync-b": synchronized AB-BA on LockA/LockB objects
//   lock-deadlock  "rl-a"/"rl-b": ReentrantLock AB-BA
//   latch-leak     "req-N": one thread per request, each on a fresh CountDownLatch
//   monitor-stuck  "holder" sleeps holding a StuckMonitor, "waiter" blocks on it
//   pool-idle      a fixed pool of 4 and a ForkJoinPool of 3, idle after work
//   hot            run Bank.transfer hot first (JIT), then deadlock in it
//   parked-N       N threads parked on one CountDownLatch (tools/bench.sh)
import java.util.concurrent.*;
import java.util.concurrent.locks.ReentrantLock;

public class JavaBugs {
    static final class LockA {}
    static final class LockB {}
    static final class StuckMonitor {}

    static void sleepQuietly(long ms) {
        try { Thread.sleep(ms); } catch (InterruptedException e) { }
    }

    static void start(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    static void syncDeadlock() {
        final Object a = new LockA(), b = new LockB();
        start("sync-a", () -> { synchronized (a) { sleepQuietly(300); synchronized (b) { } } });
        start("sync-b", () -> { synchronized (b) { sleepQuietly(300); synchronized (a) { } } });
    }

    static void lockDeadlock() {
        final ReentrantLock a = new ReentrantLock(), b = new ReentrantLock();
        start("rl-a", () -> { a.lock(); sleepQuietly(300); b.lock(); });
        start("rl-b", () -> { b.lock(); sleepQuietly(300); a.lock(); });
    }

    static void latchLeak(int n) {
        for (int i = 0; i < n; i++) {
            final CountDownLatch never = new CountDownLatch(1);
            start("req-" + i, () -> {
                try { never.await(); } catch (InterruptedException e) { }
            });
            sleepQuietly(400);
        }
    }

    static void monitorStuck() {
        final Object m = new StuckMonitor();
        start("holder", () -> { synchronized (m) { sleepQuietly(Long.MAX_VALUE); } });
        sleepQuietly(200);
        start("waiter", () -> { synchronized (m) { } });
    }

    static void poolIdle() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        ForkJoinPool fj = new ForkJoinPool(3);
        for (int i = 0; i < 16; i++) {
            pool.submit(() -> sleepQuietly(10));
            fj.submit(() -> sleepQuietly(10));
        }
        sleepQuietly(300);
    }

    public static void main(String[] args) throws Exception {
        for (String mode : args) {
            switch (mode) {
            case "sync-deadlock": syncDeadlock(); break;
            case "lock-deadlock": lockDeadlock(); break;
            case "latch-leak": latchLeak(6); break;
            case "monitor-stuck": monitorStuck(); break;
            case "pool-idle": poolIdle(); break;
            case "hot": Bank.run(); break;
            default:
                if (!mode.startsWith("parked-"))
                    throw new IllegalArgumentException(mode);
                final CountDownLatch never = new CountDownLatch(1);
                for (int i = Integer.parseInt(mode.substring(7)); i > 0; i--)
                    start("parked-" + i, () -> {
                        try { never.await(); } catch (InterruptedException e) { }
                    });
            }
        }
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
