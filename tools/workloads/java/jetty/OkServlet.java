import java.io.IOException;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/** A normal request: a little work, an answer (tests/e2e/test_java_server.py). */
public class OkServlet extends HttpServlet {
    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 200; i++)
            sb.append(Integer.toHexString(i * 31));
        resp.setContentType("text/plain");
        resp.getWriter().println("ok " + sb.length());
    }
}
