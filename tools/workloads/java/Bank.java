// Bank: a deadlock in a method that ran hot first (JIT-compiled by then:
// the same path, sleeping 0 ms, so no uncommon trap sends it back to the
// interpreter), for Java frames of compiled code (tests/matrix/test_jdk.py). "teller-1"
// moves money from x to y, "teller-2" from y to x, each locking its
// source account first.
public class Bank {
    static final class Account {
        long balance = 1000;
    }

    static long transfer(Account from, Account to, long amount, long pauseMs) {
        synchronized (from) {
            JavaBugs.sleepQuietly(pauseMs);
            synchronized (to) {
                from.balance -= amount;
                to.balance += amount;
                return from.balance;
            }
        }
    }

    static void run() {
        final Account x = new Account(), y = new Account();
        long sum = 0;
        for (int i = 0; i < 100000; i++)
            sum += transfer(x, y, 1, 0) + transfer(y, x, 1, 0);
        if (sum == 42)
            System.out.println(sum);
        JavaBugs.start("teller-1", () -> transfer(x, y, 1, 300));
        JavaBugs.start("teller-2", () -> transfer(y, x, 1, 300));
    }
}
