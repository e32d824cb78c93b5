package io.portres.agent.backend;

/** Reservation tokens as operators see them: {@code 0x} and 16 upper-case hex digits. */
public final class Tokens {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private Tokens() {
    }

    public static String hex(long token) {
        char[] c = new char[18];
        c[0] = '0';
        c[1] = 'x';
        for (int i = 0; i < 16; i++) {
            c[2 + i] = HEX[(int) (token >>> (60 - 4 * i)) & 0xF];
        }
        return new String(c);
    }
}
