package io.portres.policy;

import java.util.Arrays;

/**
 * A set of requested ports, kept as sorted, merged, inclusive ranges. Port 0 stands for wildcard (ephemeral)
 * binds: a set matches a bind to port 0 only if it contains 0.
 */
public final class PortSet {
  private final int[] ranges;

  private PortSet(int[] sortedMergedRanges) {
    this.ranges = sortedMergedRanges;
  }

  /**
   * A set from inclusive ranges in any order, possibly overlapping: {@code [lo0, hi0, lo1, hi1, ...]}.
   *
   * @throws IllegalArgumentException if a bound is outside 0-65535, a range is reversed, or the length is odd
   */
  public static PortSet ofRanges(int... flatRanges) {
    if (flatRanges.length == 0 || flatRanges.length % 2 != 0) {
      throw new IllegalArgumentException("need a non-empty list of [lo, hi] pairs");
    }
    long[] packed = new long[flatRanges.length / 2];
    for (int i = 0; i < packed.length; i++) {
      int lo = flatRanges[2 * i];
      int hi = flatRanges[2 * i + 1];
      if (lo < 0 || hi > 65535 || lo > hi) {
        throw new IllegalArgumentException("bad port range " + lo + "-" + hi);
      }
      packed[i] = ((long) lo << 32) | hi;
    }
    sort(packed);
    int[] out = new int[packed.length * 2];
    int n = 0;
    for (long p : packed) {
      int lo = (int) (p >>> 32);
      int hi = (int) p;
      if (n > 0 && lo <= out[n - 1] + 1) {
        out[n - 1] = Math.max(out[n - 1], hi);
      } else {
        out[n++] = lo;
        out[n++] = hi;
      }
    }
    return new PortSet(n == out.length ? out : Arrays.copyOf(out, n));
  }

  /**
   * Insertion sort for the few ranges a rule lists, {@code Arrays.sort} for more. The agent reads its policy on the
   * JVM's start-up thread, and on JDK 22+ the first {@code Arrays.sort} of a primitive array loads
   * {@code DualPivotQuicksort} and spins a lambda for it: about 3 ms of start-up for sorting one or two numbers.
   */
  static void sort(long[] a) {
    if (a.length > 16) {
      Arrays.sort(a);
      return;
    }
    for (int i = 1; i < a.length; i++) {
      long v = a[i];
      int j = i - 1;
      while (j >= 0 && a[j] > v) {
        a[j + 1] = a[j];
        j--;
      }
      a[j + 1] = v;
    }
  }

  /** Whether the set contains {@code port}; no allocation. */
  public boolean contains(int port) {
    int[] r = ranges;
    for (int i = 0; i < r.length; i += 2) {
      if (port < r[i]) {
        return false;
      }
      if (port <= r[i + 1]) {
        return true;
      }
    }
    return false;
  }

  /** Sorted, merged, inclusive ranges: {@code [lo0, hi0, lo1, hi1, ...]} (a copy). */
  public int[] ranges() {
    return ranges.clone();
  }

  /** E.g. {@code "8080"}, {@code "8000-8099"} or {@code "0, 8080, 9000-9010"}. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < ranges.length; i += 2) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(ranges[i]);
      if (ranges[i + 1] != ranges[i]) {
        sb.append('-').append(ranges[i + 1]);
      }
    }
    return sb.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PortSet && Arrays.equals(ranges, ((PortSet) o).ranges);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(ranges);
  }

  @Override
  public String toString() {
    return describe();
  }
}
