// Bank: a deadlock in a method that ran hot first (JIT-compiled by then),
// for Java frames of compiled code (tests/matrix/test_jdk.py). "teller-1"
// moves money from x to y, "teller-2" from y to x, each locking its
// source account first.
public class Bank {
    static final class Account {
        long balance = 1000;
    }

    static long transfer(Account from, Account to, long amount, boolean pause) {
        synchronized (from) {
            if (pause)
                JavaBugs.sleepQuietly(300);
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
        for (int i = 0; i < 200000; i++)
            sum += transfer(x, y, 1, false) + transfer(y, x, 1, false);
        if (sum == 42)
            System.out.println(sum);
        JavaBugs.start("teller-1", () -> transfer(x, y, 1, true));
        JavaBugs.start("teller-2", () -> transfer(y, x, 1, true));
    }
}
