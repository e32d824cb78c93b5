package io.portres.policy;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The {@code match.address} condition on the requested local address of a bind.
 *
 * <p>Every address, and every condition, is compared in IPv6 form, with IPv4 addresses as their IPv4-mapped
 * equivalents ({@code ::ffff:a.b.c.d}). So an IPv4-mapped IPv6 address matches exactly the IPv4 conditions its
 * IPv4 address matches, {@code ::ffff:10.0.0.0/104} is the same condition as {@code 10.0.0.0/8}, and
 * {@code ::/0} matches every address. The conditions:
 * <ul>
 *   <li>{@code any}: every bind (the default);
 *   <li>{@code wildcard}: the unspecified address only ({@code 0.0.0.0} or {@code ::}, or no address);
 *   <li>{@code loopback}: {@code 127.0.0.0/8} and {@code ::1};
 *   <li>an IPv4 or IPv6 literal: that address only;
 *   <li>a CIDR block such as {@code 10.0.0.0/8} or {@code fd00::/8}.
 * </ul>
 * Literals are parsed here, never through a name service: host names are rejected, not looked up. Zone ids
 * ({@code %eth0}) and brackets are not accepted.
 *
 * <p>{@link #matches} allocates nothing for IPv4 addresses, a {@code null} address, and {@code any},
 * {@code wildcard} and {@code loopback} conditions on ordinary addresses; an IPv6 address matched against an
 * IP or CIDR condition is read once with {@link InetAddress#getAddress()} (the JDK has no non-copying accessor).
 */
public final class AddressMatcher {
  private static final int K_ANY = 0;
  private static final int K_WILDCARD = 1;
  private static final int K_LOOPBACK = 2;
  private static final int K_NET = 3;

  /** Low 64 bits of {@code ::ffff:0.0.0.0}, the IPv4-mapped prefix. */
  private static final long MAPPED = 0xFFFF00000000L;

  /** Matches every address. */
  public static final AddressMatcher ANY = new AddressMatcher(K_ANY, 0, 0, 0, 0, "any", false);
  /** Matches the unspecified address ({@code 0.0.0.0}, {@code ::}, {@code ::ffff:0.0.0.0} or null). */
  public static final AddressMatcher WILDCARD =
      new AddressMatcher(K_WILDCARD, 0, MAPPED, -1L, -1L, "wildcard", false);
  /** Matches {@code 127.0.0.0/8} (also IPv4-mapped) and {@code ::1}. */
  public static final AddressMatcher LOOPBACK =
      new AddressMatcher(K_LOOPBACK, 0, MAPPED | 0x7F000000L, -1L, 0xFFFFFFFFFF000000L, "loopback", false);

  /** 0: not yet checked; 1: {@code Inet4Address.hashCode()} is the address (true of every JDK so far); 2: not. */
  private static volatile int v4HashMode;

  private final int kind;
  private final long netHi;
  private final long netLo;
  private final long maskHi;
  private final long maskLo;
  private final String text;
  private final boolean hostBitsSet;

  private AddressMatcher(int kind, long netHi, long netLo, long maskHi, long maskLo, String text,
      boolean hostBitsSet) {
    this.kind = kind;
    this.netHi = netHi;
    this.netLo = netLo;
    this.maskHi = maskHi;
    this.maskLo = maskLo;
    this.text = text;
    this.hostBitsSet = hostBitsSet;
  }

  /**
   * Parses {@code any}, {@code wildcard}, {@code loopback}, an IPv4 or IPv6 literal, or a CIDR block. Never uses
   * a name service.
   *
   * @throws IllegalArgumentException with a message that says what is wrong with {@code spec}
   */
  public static AddressMatcher parse(String spec) {
    if (spec.equals("any")) {
      return ANY;
    } else if (spec.equals("wildcard")) {
      return WILDCARD;
    } else if (spec.equals("loopback")) {
      return LOOPBACK;
    }
    String addr = spec;
    int prefix = -1;
    int slash = spec.indexOf('/');
    if (slash >= 0) {
      addr = spec.substring(0, slash);
      prefix = parsePrefix(spec, spec.substring(slash + 1));
    }
    boolean v6 = addr.indexOf(':') >= 0;
    long hi = 0;
    long lo;
    if (v6) {
      if (addr.indexOf('%') >= 0) {
        throw bad(spec, "zone ids (%...) are not supported");
      }
      if (addr.startsWith("[")) {
        throw bad(spec, "write IPv6 addresses without brackets");
      }
      long[] a = parseV6(spec, addr);
      hi = a[0];
      lo = a[1];
    } else {
      lo = MAPPED | (parseV4(spec, addr) & 0xFFFFFFFFL);
    }
    int max = v6 ? 128 : 32;
    if (prefix > max) {
      throw bad(spec, "the prefix length of an " + (v6 ? "IPv6" : "IPv4") + " block is 0-" + max);
    }
    int bits = prefix < 0 ? 128 : v6 ? prefix : prefix + 96;
    long mHi = bits >= 64 ? -1L : bits == 0 ? 0 : -1L << (64 - bits);
    long mLo = bits <= 64 ? 0 : bits == 128 ? -1L : -1L << (128 - bits);
    boolean hostBits = (hi & ~mHi) != 0 || (lo & ~mLo) != 0;
    hi &= mHi;
    lo &= mLo;
    String canonical = (v6 ? formatV6(hi, lo) : formatV4((int) lo)) + (prefix >= 0 && prefix < max ? "/" + prefix : "");
    return new AddressMatcher(K_NET, hi, lo, mHi, mLo, canonical, hostBits);
  }

  /**
   * Whether the requested local address {@code a} matches; {@code null} stands for the unspecified address
   * (a wildcard bind).
   */
  public boolean matches(InetAddress a) {
    switch (kind) {
      case K_ANY:
        return true;
      case K_WILDCARD:
        if (a == null || a.isAnyLocalAddress()) {
          return true;
        }
        break;
      case K_LOOPBACK:
        if (a == null) {
          return false;
        }
        if (a.isLoopbackAddress()) {
          return true;
        }
        break;
      default:
        if (a == null) {
          return in(0, 0) || in(0, MAPPED);
        }
    }
    if (a instanceof Inet4Address) {
      // wildcard and loopback are fully decided above for IPv4
      return kind == K_NET && in(0, MAPPED | (v4Bits(a) & 0xFFFFFFFFL));
    }
    byte[] b = a.getAddress();
    return in(readLong(b, 0), readLong(b, 8));
  }

  private boolean in(long hi, long lo) {
    return (hi & maskHi) == netHi && (lo & maskLo) == netLo;
  }

  /** Whether this is {@link #ANY}, i.e. the condition is always true. */
  public boolean isAny() {
    return kind == K_ANY;
  }

  /**
   * {@code any}, {@code wildcard}, {@code loopback}, or the address or block in canonical form (host bits
   * cleared, IPv6 compressed and lower case), e.g. {@code 10.0.0.0/8}, {@code ::1}.
   */
  public String describe() {
    return text;
  }

  /** Whether the CIDR given had bits set beyond its prefix (e.g. {@code 10.1.2.3/8}); they were cleared. */
  boolean hostBitsSet() {
    return hostBitsSet;
  }

  @Override
  public String toString() {
    return text;
  }

  private static int v4Bits(InetAddress a) {
    int mode = v4HashMode;
    if (mode == 0) {
      mode = 2;
      try {
        // getByAddress never consults a name service
        if (InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, (byte) 129}).hashCode() == 0xC0000281) {
          mode = 1;
        }
      } catch (UnknownHostException e) {
        // keep 2
      }
      v4HashMode = mode;
    }
    if (mode == 1) {
      return a.hashCode();
    }
    byte[] b = a.getAddress();
    return (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF);
  }

  private static long readLong(byte[] b, int off) {
    long v = 0;
    for (int i = off; i < off + 8; i++) {
      v = v << 8 | (b[i] & 0xFF);
    }
    return v;
  }

  private static IllegalArgumentException bad(String spec, String why) {
    return new IllegalArgumentException("'" + PolicyLoader.excerpt(spec) + "' is not a valid address: " + why);
  }

  private static int parsePrefix(String spec, String p) {
    int n = p.length();
    if (n == 0 || n > 3 || (n > 1 && p.charAt(0) == '0')) {
      throw bad(spec, "the prefix length after '/' must be a number such as 8 or 64");
    }
    int v = 0;
    for (int i = 0; i < n; i++) {
      char c = p.charAt(i);
      if (c < '0' || c > '9') {
        throw bad(spec, "the prefix length after '/' must be a number such as 8 or 64");
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  /** Strict dotted quad: four decimal parts 0-255, no leading zeros. */
  private static int parseV4(String spec, String s) {
    int v = 0;
    int i = 0;
    int len = s.length();
    for (int part = 0; part < 4; part++) {
      if (part > 0) {
        if (i >= len || s.charAt(i) != '.') {
          throw notV4(spec, s);
        }
        i++;
      }
      int start = i;
      int octet = 0;
      while (i < len && s.charAt(i) >= '0' && s.charAt(i) <= '9' && i - start < 3) {
        octet = octet * 10 + (s.charAt(i) - '0');
        i++;
      }
      if (i == start || octet > 255 || (i - start > 1 && s.charAt(start) == '0')) {
        throw notV4(spec, s);
      }
      v = v << 8 | octet;
    }
    if (i != len) {
      throw notV4(spec, s);
    }
    return v;
  }

  private static IllegalArgumentException notV4(String spec, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if ((c < '0' || c > '9') && c != '.') {
        return bad(spec, "expected any, wildcard, loopback, an IP address or a CIDR block such as 10.0.0.0/8"
            + " (host names are not looked up)");
      }
    }
    return bad(spec, "an IPv4 address is four numbers 0-255 separated by dots, without leading zeros");
  }

  private static long[] parseV6(String spec, String s) {
    int[] g = new int[8];
    int dc = s.indexOf("::");
    if (dc < 0) {
      if (groups(spec, s, g, true) != 8) {
        throw notV6(spec);
      }
    } else {
      if (s.indexOf("::", dc + 1) >= 0) {
        throw notV6(spec);
      }
      int nh = dc == 0 ? 0 : groups(spec, s.substring(0, dc), g, false);
      int[] tail = new int[8];
      int nt = dc + 2 == s.length() ? 0 : groups(spec, s.substring(dc + 2), tail, true);
      if (nh + nt > 7) {
        throw notV6(spec);
      }
      System.arraycopy(tail, 0, g, 8 - nt, nt);
    }
    long hi = (long) g[0] << 48 | (long) g[1] << 32 | (long) g[2] << 16 | g[3];
    long lo = (long) g[4] << 48 | (long) g[5] << 32 | (long) g[6] << 16 | g[7];
    return new long[] {hi, lo};
  }

  /** Colon-separated 16-bit groups (the last may be a dotted quad if allowed); returns how many. */
  private static int groups(String spec, String part, int[] out, boolean v4Tail) {
    int n = 0;
    int start = 0;
    while (true) {
      int colon = part.indexOf(':', start);
      int end = colon < 0 ? part.length() : colon;
      if (colon < 0 && v4Tail && part.indexOf('.', start) >= 0) {
        if (n > 6) {
          throw notV6(spec);
        }
        int v4 = parseV4(spec, part.substring(start));
        out[n++] = v4 >>> 16;
        out[n++] = v4 & 0xFFFF;
        return n;
      }
      if (end == start || end - start > 4 || n == 8) {
        throw notV6(spec);
      }
      int v = 0;
      for (int i = start; i < end; i++) {
        int d = Character.digit(part.charAt(i), 16);
        if (d < 0 || part.charAt(i) > 'f') {
          throw notV6(spec);
        }
        v = v << 4 | d;
      }
      out[n++] = v;
      if (colon < 0) {
        return n;
      }
      start = colon + 1;
    }
  }

  private static IllegalArgumentException notV6(String spec) {
    return bad(spec, "not an IPv6 address (eight groups of 1-4 hex digits separated by ':', '::' at most once)");
  }

  private static String formatV4(int v) {
    return (v >>> 24) + "." + (v >>> 16 & 0xFF) + "." + (v >>> 8 & 0xFF) + "." + (v & 0xFF);
  }

  /** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as '::'. */
  private static String formatV6(long hi, long lo) {
    if (hi == 0 && (lo >>> 32) == 0xFFFF) {
      return "::ffff:" + formatV4((int) lo);
    }
    int[] g = new int[8];
    for (int i = 0; i < 4; i++) {
      g[i] = (int) (hi >>> (48 - 16 * i)) & 0xFFFF;
      g[i + 4] = (int) (lo >>> (48 - 16 * i)) & 0xFFFF;
    }
    int bestStart = -1;
    int bestLen = 1;
    for (int i = 0; i < 8; ) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(g[i]));
    }
    return sb.toString();
  }
}
