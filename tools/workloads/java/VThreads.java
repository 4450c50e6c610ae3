import java.lang.reflect.Method;
import java.util.concurrent.CountDownLatch;

/** Virtual threads (21+) for tests/matrix/test_jdk.py, compiled with
 * --release 17 (started through reflection). args: N M: N virtual threads
 * parked on a latch (unmounted), M (at most 3) pinned: each blocks in a
 * class initializer of its own, which keeps it mounted on its carrier on
 * every JDK (synchronized/Object.wait no longer pin since 24, JEP 491). */
public class VThreads {
    static final CountDownLatch NEVER = new CountDownLatch(1);

    static void block() {
        try { NEVER.await(); } catch (InterruptedException e) { }
    }

    static final class Pin0 { static { block(); } static void touch() { } }
    static final class Pin1 { static { block(); } static void touch() { } }
    static final class Pin2 { static { block(); } static void touch() { } }

    public static void main(String[] a) throws Exception {
        Method start = Thread.class.getMethod("startVirtualThread", Runnable.class);
        int parked = Integer.parseInt(a[0]), pinned = Integer.parseInt(a[1]);
        for (int i = 0; i < parked; i++)
            start.invoke(null, (Runnable) VThreads::block);
        Thread.sleep(500);
        Runnable[] pins = { Pin0::touch, Pin1::touch, Pin2::touch };
        for (int i = 0; i < pinned && i < pins.length; i++)
            start.invoke(null, pins[i]);
        Thread.sleep(500);
        System.out.println("READY");
        Thread.sleep(Long.MAX_VALUE);
    }
}
