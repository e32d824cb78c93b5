package io.portres.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AddressMatcherTest {

  /** A literal, built from bytes so that no name service is involved; "mapped:a.b.c.d" makes an Inet6Address. */
  static InetAddress addr(String s) throws UnknownHostException {
    if (s.equals("null")) {
      return null;
    }
    if (s.startsWith("mapped:")) {
      byte[] v4 = addr(s.substring(7)).getAddress();
      byte[] b = new byte[16];
      b[10] = (byte) 0xFF;
      b[11] = (byte) 0xFF;
      System.arraycopy(v4, 0, b, 12, 4);
      return Inet6Address.getByAddress(null, b, -1);
    }
    if (s.indexOf(':') < 0) {
      String[] p = s.split("\\.");
      return InetAddress.getByAddress(new byte[] {
        (byte) Integer.parseInt(p[0]), (byte) Integer.parseInt(p[1]), (byte) Integer.parseInt(p[2]),
        (byte) Integer.parseInt(p[3])});
    }
    AddressMatcher.parse(s); // validated as an IPv6 literal first, so getByName only parses it
    return InetAddress.getByName(s);
  }

  @ParameterizedTest(name = "{0} ~ {1} = {2}")
  @CsvSource({
    // any
    "any, 10.1.2.3, true",
    "any, ::1, true",
    "any, null, true",
    // wildcard: only the unspecified address
    "wildcard, 0.0.0.0, true",
    "wildcard, ::, true",
    "wildcard, null, true",
    "wildcard, mapped:0.0.0.0, true",
    "wildcard, 127.0.0.1, false",
    "wildcard, ::1, false",
    "wildcard, 10.0.0.1, false",
    // loopback
    "loopback, 127.0.0.1, true",
    "loopback, 127.255.0.9, true",
    "loopback, ::1, true",
    "loopback, mapped:127.0.0.1, true",
    "loopback, 128.0.0.1, false",
    "loopback, ::2, false",
    "loopback, 0.0.0.0, false",
    "loopback, null, false",
    // IPv4 literal
    "192.168.1.5, 192.168.1.5, true",
    "192.168.1.5, 192.168.1.6, false",
    "192.168.1.5, mapped:192.168.1.5, true",
    "192.168.1.5, ::c0a8:105, false",
    "192.168.1.5, null, false",
    // IPv4 CIDR
    "10.0.0.0/8, 10.255.1.2, true",
    "10.0.0.0/8, 11.0.0.1, false",
    "10.0.0.0/8, mapped:10.9.9.9, true",
    "10.0.0.0/8, mapped:11.9.9.9, false",
    "10.0.0.0/8, fe80::1, false",
    "172.16.0.0/12, 172.31.255.255, true",
    "172.16.0.0/12, 172.32.0.0, false",
    "0.0.0.0/0, 1.2.3.4, true",
    "0.0.0.0/0, mapped:1.2.3.4, true",
    "0.0.0.0/0, ::1, false",
    "0.0.0.0/0, null, true",
    "0.0.0.0, null, true",
    "0.0.0.0, 0.0.0.0, true",
    "255.255.255.255/32, 255.255.255.255, true",
    // IPv6 literal and CIDR
    "::1, ::1, true",
    "::1, 127.0.0.1, false",
    "2001:db8::ff00:42:8329, 2001:0db8:0000:0000:0000:ff00:0042:8329, true",
    "2001:db8::ff00:42:8329, 2001:db8::ff00:42:8328, false",
    "fd00::/8, fd12:3456::1, true",
    "fd00::/8, fe00::1, false",
    "fd00::/8, 10.0.0.1, false",
    "fe80::/10, fe80::1, true",
    "fe80::/10, febf:ffff::1, true",
    "fe80::/10, fec0::1, false",
    "2001:db8::/127, 2001:db8::1, true",
    "2001:db8::/127, 2001:db8::2, false",
    "2001:db8:0:0:8000::/65, 2001:db8::8000:0:0:1, true",
    "2001:db8:0:0:8000::/65, 2001:db8::7fff:0:0:1, false",
    ":: , ::, true",
    ":: , null, true",
    "::/0, fe80::1, true",
    "::/0, 10.0.0.1, true",
    // IPv4-mapped conditions are IPv4 conditions
    "::ffff:10.1.2.3, 10.1.2.3, true",
    "::ffff:10.1.2.3, mapped:10.1.2.3, true",
    "::ffff:10.0.0.0/104, 10.200.0.1, true",
    "::ffff:10.0.0.0/104, 11.0.0.1, false",
    "::ffff:0:0/96, 8.8.8.8, true",
    "::ffff:0:0/96, ::1, false",
  })
  void matches(String spec, String address, boolean expected) throws Exception {
    assertThat(AddressMatcher.parse(spec.trim()).matches(addr(address))).isEqualTo(expected);
  }

  @Test
  void mappedTestAddressesReallyAreInet6() throws Exception {
    assertThat(addr("mapped:10.1.2.3")).isInstanceOf(Inet6Address.class);
    assertThat(addr("10.1.2.3")).isInstanceOf(Inet4Address.class);
  }

  @Test
  void keywords() {
    assertThat(AddressMatcher.parse("any")).isSameAs(AddressMatcher.ANY);
    assertThat(AddressMatcher.parse("wildcard")).isSameAs(AddressMatcher.WILDCARD);
    assertThat(AddressMatcher.parse("loopback")).isSameAs(AddressMatcher.LOOPBACK);
    assertThat(AddressMatcher.ANY.isAny()).isTrue();
    assertThat(AddressMatcher.LOOPBACK.isAny()).isFalse();
    assertThat(AddressMatcher.parse("0.0.0.0/0").isAny()).isFalse();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "any, any",
    "loopback, loopback",
    "wildcard, wildcard",
    "10.0.0.0/8, 10.0.0.0/8",
    "10.1.2.3/8, 10.0.0.0/8",
    "10.1.2.3/32, 10.1.2.3",
    "192.168.1.5, 192.168.1.5",
    "2001:0DB8:0000:0000:0000:FF00:0042:8329, 2001:db8::ff00:42:8329",
    "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
    "1:0:0:2:0:0:0:3, 1:0:0:2::3",
    "1:0:2:3:4:5:6:7, 1:0:2:3:4:5:6:7",
    "::, ::",
    "::1, ::1",
    "1::, 1::",
    "fe80::1/10, fe80::/10",
    "::ffff:10.1.2.3, ::ffff:10.1.2.3",
    "::ffff:0a01:0203, ::ffff:10.1.2.3",
    "64:ff9b::192.0.2.33, 64:ff9b::c000:221",
    "::/0, ::/0",
    "::1/128, ::1",
  })
  void describeIsCanonical(String spec, String canonical) {
    assertThat(AddressMatcher.parse(spec).describe()).isEqualTo(canonical);
  }

  @Test
  void hostBits() {
    assertThat(AddressMatcher.parse("10.1.2.3/8").hostBitsSet()).isTrue();
    assertThat(AddressMatcher.parse("10.0.0.0/8").hostBitsSet()).isFalse();
    assertThat(AddressMatcher.parse("fe80::1/10").hostBitsSet()).isTrue();
    assertThat(AddressMatcher.parse("::1").hostBitsSet()).isFalse();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "localhost",
    "example.com",
    "Any",
    "256.1.1.1",
    "1.2.3",
    "1.2.3.4.5",
    "01.2.3.4",
    "1.2.3.4/33",
    "1.2.3.4/",
    "1.2.3.4/08",
    "1.2.3.4/-1",
    "::1/129",
    "fe80::1%eth0",
    "[::1]",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "1::2::3",
    ":::",
    ":1::",
    "1::2:",
    "12345::",
    "gggg::1",
    "1.2.3.4::",
    "::1.2.3.4:5",
    "1:2:3:4:5:6:7:1.2.3.4",
    "' '",
  })
  void rejects(String spec) {
    assertThatThrownBy(() -> AddressMatcher.parse(spec)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("'" + spec + "' is not a valid address: ");
  }

  @Test
  void emptyIsRejected() {
    assertThatThrownBy(() -> AddressMatcher.parse("")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void ipv4HashCodeIsTheAddressOnThisJdk() throws Exception {
    // The allocation-free IPv4 path relies on this (it checks at run time and falls back if it ever changes).
    assertThat(InetAddress.getByAddress(new byte[] {10, 1, 2, 3}).hashCode()).isEqualTo(0x0A010203);
  }
}
