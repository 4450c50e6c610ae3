import java.io.IOException;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/** The bug: /deadlock?side=a takes LockA then LockB, side=b takes LockB then
 * LockA; two such requests deadlock two request threads. The request
 * thread is renamed dl-a / dl-b so the test knows which is which
 * (tests/e2e/test_java_server.py). */
public class DeadlockServlet extends HttpServlet {
    static final class LockA {}
    static final class LockB {}

    private static final Object A = new LockA();
    private static final Object B = new LockB();

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        boolean a = "a".equals(req.getParameter("side"));
        Thread.currentThread().setName(a ? "dl-a" : "dl-b");
        Object first = a ? A : B, second = a ? B : A;
        synchronized (first) {
            pause();
            synchronized (second) {
                resp.getWriter().println("never");
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
