package io.portres.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Collections;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ClassMatcherTest {

  @ParameterizedTest(name = "{0} ~ {1} = {2}")
  @CsvSource({
    // exact
    "org.example.Server, org.example.Server, true",
    "org.example.Server, org.example.ServerX, false",
    "org.example.Server, org.example, false",
    // * = within one segment
    "org.example.*, org.example.Server, true",
    "org.example.*, org.example.sub.Server, false",
    "org.example.*, org.example, false",
    "org.*.Server, org.example.Server, true",
    "org.*.Server, org.a.b.Server, false",
    "*, Main, true",
    "*, org.Main, false",
    "com.*.net.*Server*, com.acme.net.HttpServerImpl, true",
    "com.*.net.*Server*, com.acme.net.Server, true",
    "com.*.net.*Server*, com.acme.net.Client, false",
    "org.example.Ser*er, org.example.Server, true",
    "org.example.Ser*er, org.example.Serer, true",
    "org.example.Ser*er, org.example.Servers, false",
    "*a*a*a*b, aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac, false",
    // ** = any number of segments, none included
    "org.apache.catalina.**, org.apache.catalina.connector.Connector, true",
    "org.apache.catalina.**, org.apache.catalina.Connector, true",
    "org.apache.catalina.**, org.apache.catalina, true",
    "org.apache.catalina.**, org.apache.catalinax.Connector, false",
    "org.apache.catalina.**, org.apache.Catalina, false",
    "org.**.Connector, org.Connector, true",
    "org.**.Connector, org.apache.catalina.connector.Connector, true",
    "org.**.Connector, org.apache.Connector2, false",
    "**.Connector, Connector, true",
    "**.Connector, a.b.c.Connector, true",
    "**.Jetty*, org.eclipse.jetty.JettyServer, true",
    "**.Jetty*, org.eclipse.jetty.Server, false",
    "a.**.b.**.c, a.b.c, true",
    "a.**.b.**.c, a.x.b.y.z.c, true",
    "a.**.b.**.c, a.x.y.z.c, false",
    "a.**.**.c, a.c, true",
    "**, anything.at.All$1, true",
    // nested classes: '$' is an ordinary character
    "org.example.Outer$Inner, org.example.Outer$Inner, true",
    "org.example.Outer$*, org.example.Outer$Inner, true",
    "org.example.Outer$*, org.example.Outer$1, true",
    "org.example.Outer$*, org.example.Outer, false",
    "org.example.Outer*, org.example.Outer$$Lambda$14/0x0000000800c03000, true",
  })
  void matches(String pattern, String name, boolean expected) {
    ClassMatcher m = ClassMatcher.of(Collections.singletonList(pattern));
    assertThat(m.matches(name)).isEqualTo(expected);
  }

  @Test
  void listMatchesAny() {
    ClassMatcher m = ClassMatcher.of(Arrays.asList("sun.rmi.**", "javax.management.remote.**", "a.Exact", "**.*Server"));
    assertThat(m.matches("sun.rmi.transport.tcp.TCPTransport")).isTrue();
    assertThat(m.matches("javax.management.remote.rmi.RMIConnectorServer")).isTrue();
    assertThat(m.matches("a.Exact")).isTrue();
    assertThat(m.matches("x.y.HttpServer")).isTrue();
    assertThat(m.matches("java.net.ServerSocket")).isFalse();
    assertThat(m.patterns()).containsExactly("sun.rmi.**", "javax.management.remote.**", "a.Exact", "**.*Server");
    assertThat(m.matchesAny(new String[] {"java.lang.Thread", "a.Exact"})).isTrue();
    assertThat(m.matchesAny(new String[] {"java.lang.Thread", "java.net.ServerSocket"})).isFalse();
    assertThat(m.matchesAny(new String[0])).isFalse();
  }

  @Test
  void checkExplainsBadPatterns() {
    assertThat(ClassMatcher.check("org.example.**")).isNull();
    assertThat(ClassMatcher.check("_x.$Y$1")).isNull();
    assertThat(ClassMatcher.check("org.exämple.Ünïcode")).isNull();
    assertThat(ClassMatcher.check("")).isEqualTo("it is empty");
    assertThat(ClassMatcher.check("a..b")).contains("empty segment");
    assertThat(ClassMatcher.check(".a")).contains("starts with '.'");
    assertThat(ClassMatcher.check("a.")).contains("ends with '.'");
    assertThat(ClassMatcher.check("a.**b")).contains("'**' must be a whole segment");
    assertThat(ClassMatcher.check("a.***")).contains("'**' must be a whole segment");
    assertThat(ClassMatcher.check("a b")).contains("space");
    assertThat(ClassMatcher.check("a\tb")).contains("space");
    assertThat(ClassMatcher.check("a/b")).contains("not '/'");
    assertThat(ClassMatcher.check("a-b")).contains("'-' cannot appear");
    assertThat(ClassMatcher.check("a\u0000b")).contains("cannot appear");
    assertThatThrownBy(() -> ClassMatcher.of(Arrays.asList("ok", "a..b")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("'a..b' is not a valid class pattern: it has an empty segment ('..')");
    assertThatThrownBy(() -> ClassMatcher.of(Collections.<String>emptyList()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * Many '**' segments against a long name that does not match: 2.4 s per match with the backtracking matcher (it
   * tried every way of sharing the name among the '**'s); linear now.
   */
  @Test
  @org.junit.jupiter.api.Timeout(value = 10, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
  void manyDoubleStarsAgainstALongNameTakeLinearTime() {
    // every 'a' of the name can start every '**.a': the backtracking matcher tried each of the C(41, 8) placements
    ClassMatcher m = ClassMatcher.of(Collections.singletonList("a.**.a.**.a.**.a.**.a.**.a.**.a.**.a.**.b"));
    StringBuilder name = new StringBuilder("a");
    for (int i = 0; i < 40; i++) {
      name.append(".a");
    }
    String n = name.toString();
    assertThat(n.split("\\.")).hasSize(41);
    long start = System.nanoTime();
    for (int i = 0; i < 1000; i++) {
      assertThat(m.matches(n)).isFalse();
    }
    long perMatchMicros = (System.nanoTime() - start) / 1000 / 1000;
    assertThat(perMatchMicros).as("microseconds per match").isLessThan(1000);
    assertThat(m.matches(n + ".b")).isTrue();
  }

  /** The linear matcher agrees with a regular expression built from the same pattern, on random patterns and names. */
  @Test
  void agreesWithARegularExpressionOnRandomPatterns() {
    java.util.Random r = new java.util.Random(14);
    String[] segs = {"**", "*", "a", "b", "a*", "*b", "a*b", "ab"};
    String[] parts = {"a", "b", "ab", "ba", "aab", "abb"};
    for (int t = 0; t < 20000; t++) {
      StringBuilder p = new StringBuilder();
      int k = 1 + r.nextInt(6);
      for (int i = 0; i < k; i++) {
        p.append(i == 0 ? "" : ".").append(segs[r.nextInt(segs.length)]);
      }
      StringBuilder n = new StringBuilder();
      int m = 1 + r.nextInt(7);
      for (int i = 0; i < m; i++) {
        n.append(i == 0 ? "" : ".").append(parts[r.nextInt(parts.length)]);
      }
      String pattern = p.toString();
      String name = n.toString();
      assertThat(ClassMatcher.of(Collections.singletonList(pattern)).matches(name))
          .as("%s ~ %s", pattern, name).isEqualTo(regex(pattern).matcher(name).matches());
    }
  }

  /** '**' as "any number of whole segments", written as a regular expression over the dotted name. */
  private static java.util.regex.Pattern regex(String pattern) {
    String[] segs = pattern.split("\\.");
    StringBuilder re = new StringBuilder();
    boolean needDot = false;
    for (int i = 0; i < segs.length; i++) {
      if (segs[i].equals("**")) {
        re.append(needDot ? "(?:\\.[^.]+)*" : "(?:[^.]+(?:\\.|$))*");
        if (!needDot) {
          // a leading '**' consumed "seg." runs; the next segment follows directly
          continue;
        }
      } else {
        if (needDot) {
          re.append("\\.");
        }
        re.append(segs[i].replace("*", "[^.]*"));
        needDot = true;
      }
    }
    return java.util.regex.Pattern.compile(re.toString());
  }
}
