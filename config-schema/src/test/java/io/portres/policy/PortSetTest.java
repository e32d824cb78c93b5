package io.portres.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PortSetTest {

  @Test
  void single() {
    PortSet s = PortSet.ofRanges(8080, 8080);
    assertThat(s.contains(8080)).isTrue();
    assertThat(s.contains(8079)).isFalse();
    assertThat(s.contains(8081)).isFalse();
    assertThat(s.contains(0)).isFalse();
    assertThat(s.describe()).isEqualTo("8080");
  }

  @Test
  void range() {
    PortSet s = PortSet.ofRanges(8000, 8099);
    assertThat(s.contains(8000)).isTrue();
    assertThat(s.contains(8099)).isTrue();
    assertThat(s.contains(8100)).isFalse();
    assertThat(s.contains(7999)).isFalse();
    assertThat(s.describe()).isEqualTo("8000-8099");
  }

  @Test
  void listIsSortedAndMerged() {
    PortSet s = PortSet.ofRanges(9000, 9010, 8080, 8080, 0, 0, 9005, 9020, 8081, 8081, 9021, 9021);
    assertThat(s.ranges()).containsExactly(0, 0, 8080, 8081, 9000, 9021);
    assertThat(s.describe()).isEqualTo("0, 8080-8081, 9000-9021");
    assertThat(s.contains(0)).isTrue();
    assertThat(s.contains(1)).isFalse();
    assertThat(s.contains(9015)).isTrue();
    assertThat(s.contains(65535)).isFalse();
    assertThat(s).isEqualTo(PortSet.ofRanges(0, 0, 8080, 8081, 9000, 9021));
    assertThat(s.hashCode()).isEqualTo(PortSet.ofRanges(0, 0, 8080, 8081, 9000, 9021).hashCode());
  }

  @Test
  void zeroIsOnlyWildcardBinds() {
    PortSet zero = PortSet.ofRanges(0, 0);
    assertThat(zero.contains(0)).isTrue();
    assertThat(zero.contains(1)).isFalse();
  }

  @Test
  void rangesIsACopy() {
    PortSet s = PortSet.ofRanges(1, 2);
    s.ranges()[0] = 99;
    assertThat(s.ranges()).containsExactly(1, 2);
  }

  @Test
  void rejectsBadInput() {
    assertThatThrownBy(() -> PortSet.ofRanges()).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PortSet.ofRanges(1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PortSet.ofRanges(10, 5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PortSet.ofRanges(-1, 5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PortSet.ofRanges(1, 65536)).isInstanceOf(IllegalArgumentException.class);
  }

  /** The small-array sort (start-up: no DualPivotQuicksort for one rule's ports) orders as Arrays.sort does. */
  @Test
  void sortOrdersEveryLengthAsArraysSortDoes() {
    java.util.Random random = new java.util.Random(42);
    for (int length = 0; length <= 40; length++) {
      for (int round = 0; round < 50; round++) {
        long[] a = new long[length];
        for (int i = 0; i < length; i++) {
          int lo = random.nextInt(round % 2 == 0 ? 8 : 65536); // few distinct values: duplicates too
          a[i] = ((long) lo << 32) | (lo + random.nextInt(3));
        }
        long[] expected = a.clone();
        java.util.Arrays.sort(expected);
        PortSet.sort(a);
        assertThat(a).containsExactly(expected);
      }
    }
  }
}
