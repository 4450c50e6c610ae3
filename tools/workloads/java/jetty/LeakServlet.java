import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/** The bug: each request starts a thread that waits forever on a latch of
 * its own nobody counts down (tests/e2e/test_java_server.py). */
public class LeakServlet extends HttpServlet {
    private static final AtomicInteger SEQ = new AtomicInteger();

    static final class Waiter extends Thread {
        private final CountDownLatch done = new CountDownLatch(1);

        Waiter(int n) {
            super("leaked-" + n);
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        new Waiter(SEQ.incrementAndGet()).start();
        resp.setContentType("text/plain");
        resp.getWriter().println("started");
    }
}
