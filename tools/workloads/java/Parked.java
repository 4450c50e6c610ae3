// Parked: a short-lived Java program for the soak test (tests/e2e/test_soak.py,
// tools/soak.sh): parks a few threads on a lock that is never released,
// prints READY, lives for its argument in milliseconds (default 2000), exits.
public class Parked {
    public static void main(String[] args) throws Exception {
        final Object never = new Object();
        for (int i = 0; i < 4; i++) {
            Thread t = new Thread(() -> {
                synchronized (never) {
                    try {
                        never.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "parked-" + i);
            t.setDaemon(true);
            t.start();
        }
        System.out.println("READY");
        Thread.sleep(args.length > 0 ? Long.parseLong(args[0]) : 2000);
    }
}
