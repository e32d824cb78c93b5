package io.portres.agent.log;

/**
 * Epoch milliseconds as {@code 2026-11-25T06:01:02.123Z}. Hand-written because the first use of
 * {@code java.time}'s formatter loads dozens of classes (milliseconds of start-up) inside the target JVM.
 */
public final class Iso8601 {
    private Iso8601() {
    }

    public static String format(long epochMillis) {
        long secs = Math.floorDiv(epochMillis, 1000L);
        int millis = (int) Math.floorMod(epochMillis, 1000L);
        long days = Math.floorDiv(secs, 86400L);
        int secOfDay = (int) Math.floorMod(secs, 86400L);
        // civil-from-days (Howard Hinnant), proleptic Gregorian calendar
        long z = days + 719468;
        long era = Math.floorDiv(z, 146097);
        long doe = z - era * 146097;
        long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long y = yoe + era * 400;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        long d = doy - (153 * mp + 2) / 5 + 1;
        long m = mp < 10 ? mp + 3 : mp - 9;
        if (m <= 2) {
            y++;
        }
        StringBuilder sb = new StringBuilder(24);
        pad(sb, y, 4).append('-');
        pad(sb, m, 2).append('-');
        pad(sb, d, 2).append('T');
        pad(sb, secOfDay / 3600, 2).append(':');
        pad(sb, (secOfDay / 60) % 60, 2).append(':');
        pad(sb, secOfDay % 60, 2).append('.');
        pad(sb, millis, 3).append('Z');
        return sb.toString();
    }

    private static StringBuilder pad(StringBuilder sb, long v, int width) {
        String s = Long.toString(v);
        for (int i = s.length(); i < width; i++) {
            sb.append('0');
        }
        return sb.append(s);
    }
}
