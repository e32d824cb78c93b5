package io.portres.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class PolicyLoaderTest {

  private static Policy fixture(String name) throws PolicyException {
    return Fixtures.parse(Fixtures.ROOT.resolve("valid").resolve(name));
  }

  private static PolicyException failure(String yaml) {
    PolicyException e = catchThrowableOfType(PolicyException.class, () -> PolicyLoader.parse(yaml, "p.yaml", null));
    assertThat(e).as("expected a PolicyException").isNotNull();
    return e;
  }

  @Test
  void exampleModel() throws Exception {
    Policy p = fixture("example.yaml");
    Path dir = Fixtures.ROOT.resolve("valid");
    assertThat(p.version()).isEqualTo(1);
    assertThat(p.mode()).isEqualTo(Mode.ENFORCE);
    assertThat(p.onError()).isEqualTo(OnError.FAIL);
    assertThat(p.log().level()).isEqualTo(LogLevel.INFO);
    assertThat(p.log().file()).isEqualTo(dir.resolve("portres.log").normalize());
    assertThat(p.log().events()).isEqualTo(dir.resolve("events.jsonl").normalize());
    assertThat(p.warnings()).isEmpty();

    assertThat(p.reservations()).extracting(Reservation::name).containsExactly("http", "rmi");
    Reservation http = p.reservation("http");
    assertThat(http.protocol()).isEqualTo(Protocol.TCP);
    assertThat(http.startPort()).isEqualTo(8080);
    assertThat(http.count()).isEqualTo(1);
    assertThat(http.endPort()).isEqualTo(8080);
    assertThat(http.kind()).isEqualTo(ReservationKind.PERSISTENT);
    assertThat(http.hasToken()).isTrue();
    assertThat(http.token()).isEqualTo(0x1A2B3C4D5E6F7788L);
    assertThat(http.create()).isFalse();
    assertThat(http.describe()).isEqualTo("tcp 8080");
    assertThat(http.line()).isEqualTo(10);
    Reservation rmi = p.reservation("rmi");
    assertThat(rmi.describe()).isEqualTo("tcp 50000-50099");
    assertThat(rmi.hasToken()).isFalse();
    assertThat(rmi.token()).isZero();
    assertThat(rmi.contains(50000)).isTrue();
    assertThat(rmi.contains(50099)).isTrue();
    assertThat(rmi.contains(50100)).isFalse();
    assertThat(p.reservation("nope")).isNull();

    assertThat(p.rules()).extracting(Rule::name).containsExactly("tomcat-http", "rmi-exports");
    Rule tomcat = p.rules().get(0);
    assertThat(tomcat.index()).isZero();
    assertThat(tomcat.reservation()).isSameAs(http);
    assertThat(tomcat.protocol()).isEqualTo(Protocol.TCP);
    assertThat(tomcat.ports().describe()).isEqualTo("8080");
    assertThat(tomcat.address()).isSameAs(AddressMatcher.ANY);
    assertThat(tomcat.classes().patterns()).containsExactly("org.apache.catalina.**");
    assertThat(tomcat.classes().matches("org.apache.catalina.connector.Connector")).isTrue();
    assertThat(tomcat.onError()).isNull();
    assertThat(tomcat.effectiveOnError(p.onError())).isEqualTo(OnError.FAIL);
    assertThat(tomcat.implicit()).isFalse();
    assertThat(tomcat.line()).isEqualTo(22);
    Rule rmiRule = p.rules().get(1);
    assertThat(rmiRule.index()).isEqualTo(1);
    assertThat(rmiRule.ports().ranges()).containsExactly(0, 0);
    assertThat(rmiRule.classes().matches("sun.rmi.transport.tcp.TCPEndpoint")).isTrue();
    assertThat(rmiRule.classes().matches("javax.management.remote.rmi.RMIConnectorServer")).isTrue();
    assertThat(rmiRule.classes().matches("org.apache.Foo")).isFalse();
    assertThat(rmiRule.onError()).isEqualTo(OnError.CONTINUE);
    assertThat(rmiRule.effectiveOnError(OnError.FAIL)).isEqualTo(OnError.CONTINUE);
  }

  @Test
  void defaults() throws Exception {
    Policy p = fixture("defaults.yaml");
    assertThat(p.mode()).isEqualTo(Mode.ENFORCE);
    assertThat(p.onError()).isEqualTo(OnError.FAIL);
    assertThat(p.log().level()).isEqualTo(LogLevel.INFO);
    assertThat(p.log().file()).isNull();
    assertThat(p.log().events()).isNull();
    Reservation r = p.reservation("web");
    assertThat(r.kind()).isEqualTo(ReservationKind.PERSISTENT);
    assertThat(r.create()).isFalse();
    assertThat(r.hasToken()).isFalse();
    Rule rule = p.rules().get(0);
    assertThat(rule.protocol()).isEqualTo(Protocol.TCP);
    assertThat(rule.address().isAny()).isTrue();
    assertThat(rule.classes()).isNull();
    assertThat(rule.onError()).isNull();
    assertThat(rule.implicit()).isFalse();

    Policy minimal = fixture("minimal.yaml");
    assertThat(minimal.reservations()).isEmpty();
    assertThat(minimal.rules()).isEmpty();
    assertThat(minimal.log().level()).isEqualTo(LogLevel.INFO);
  }

  @Test
  void modelListsAreImmutable() throws Exception {
    Policy p = fixture("example.yaml");
    assertThatThrownBy(() -> p.rules().clear()).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> p.reservations().clear()).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> p.warnings().clear()).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> p.rules().get(1).classes().patterns().clear())
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void runtimeReservations() throws Exception {
    Policy p = fixture("runtime.yaml");
    Reservation any = p.reservation("any-block");
    assertThat(any.kind()).isEqualTo(ReservationKind.RUNTIME);
    assertThat(any.startPort()).isZero();
    assertThat(any.endPort()).isEqualTo(-1);
    assertThat(any.contains(0)).isFalse();
    assertThat(any.describe()).isEqualTo("tcp any 100-port block");
    assertThat(p.reservation("any-block-zero").describe()).isEqualTo("udp any 10-port block");
    assertThat(p.reservation("fixed-runtime").describe()).isEqualTo("tcp 40000-40015");
    assertThat(p.reservation("edge").endPort()).isEqualTo(65535);
  }

  @Test
  void otherValidForms() throws Exception {
    Policy audit = fixture("audit-log.yaml");
    Path dir = Fixtures.ROOT.resolve("valid");
    assertThat(audit.mode()).isEqualTo(Mode.AUDIT);
    assertThat(audit.onError()).isEqualTo(OnError.CONTINUE);
    assertThat(audit.log().level()).isEqualTo(LogLevel.DEBUG);
    assertThat(audit.log().file()).isEqualTo(dir.resolve("../logs/portres.log").normalize());
    assertThat(audit.log().events()).isEqualTo(Paths.get("/var/log/portres/events.jsonl"));

    Policy nulls = fixture("log-null.yaml");
    assertThat(nulls.log().level()).isEqualTo(LogLevel.OFF);
    assertThat(nulls.log().file()).isNull();
    assertThat(nulls.log().events()).isNull();

    Policy json = fixture("flow-json.yaml");
    Reservation r = json.reservation("r");
    assertThat(r.token()).isEqualTo(-1L); // 0xFFFFFFFFFFFFFFFF, unsigned
    assertThat(Long.toUnsignedString(r.token(), 16)).isEqualTo("ffffffffffffffff");
    assertThat(r.create()).isTrue();
    assertThat(json.rules().get(0).onError()).isEqualTo(OnError.FAIL);

    Policy core = fixture("core-schema.yaml");
    Reservation cr = core.reservation("r");
    assertThat(cr.startPort()).isEqualTo(4000); // 0x0FA0
    assertThat(cr.create()).isTrue(); // True
    assertThat(core.log().file()).isNull(); // ~
    assertThat(core.log().events()).isNull(); // empty
    assertThat(core.rules().get(0).implicit()).isFalse(); // FALSE
    assertThat(core.rules().get(0).ports().describe()).isEqualTo("4001");
    assertThat(core.rules().get(0).classes().patterns()).containsExactly("org.example.**");

    Policy udp = fixture("udp.yaml");
    assertThat(udp.rules().get(0).protocol()).isEqualTo(Protocol.UDP);
    assertThat(udp.rules().get(1).implicit()).isTrue();
  }

  @Test
  void portForms() throws Exception {
    Policy p = fixture("ports.yaml");
    assertThat(p.rules()).extracting(r -> r.ports().describe()).containsExactly(
        "8080", "8000-8099", "8081", "0, 8000-8002, 8080, 8090-8095", "0", "8010-8019", "8048, 8080");
  }

  @Test
  void relativeLogPathsWithoutBaseDirResolveAgainstTheCurrentDirectory() throws Exception {
    Policy p = PolicyLoader.parse("version: 1\nlog: { file: a/b.log }\n", "p.yaml", null);
    assertThat(p.log().file()).isEqualTo(Paths.get("a/b.log").toAbsolutePath().normalize());
  }

  @Test
  void loadReadsAFileAndResolvesLogPathsAgainstItsDirectory(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("conf").resolve("policy.yaml");
    Files.createDirectories(file.getParent());
    Files.write(file, "version: 1\nlog: { file: portres.log, events: ../ev.jsonl }\n".getBytes(StandardCharsets.UTF_8));
    Policy p = PolicyLoader.load(file);
    assertThat(p.source()).isEqualTo(file.toString());
    assertThat(p.log().file()).isEqualTo(dir.resolve("conf/portres.log").toAbsolutePath());
    assertThat(p.log().events()).isEqualTo(dir.resolve("ev.jsonl").toAbsolutePath());
  }

  @Test
  void loadNamesTheFileAsGivenInProblems(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bad.yaml");
    Files.write(file, "version: 2\n".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> PolicyLoader.load(file))
        .hasMessage(file + ":1:10: version: unsupported version 2; this portres reads version 1");
  }

  @Test
  void missingFile() {
    Path file = Paths.get("no/such/policy.yaml");
    PolicyException e = catchThrowableOfType(PolicyException.class, () -> PolicyLoader.load(file));
    assertThat(e.getMessage()).isEqualTo("no/such/policy.yaml: cannot read policy: file not found");
    Problem p = e.problems().get(0);
    assertThat(p.file()).isEqualTo("no/such/policy.yaml");
    assertThat(p.line()).isZero();
    assertThat(p.column()).isZero();
    assertThat(p.path()).isEmpty();
    assertThat(p.message()).isEqualTo("cannot read policy: file not found");
  }

  @Test
  void directoryIsNotAPolicy(@TempDir Path dir) {
    assertThatThrownBy(() -> PolicyLoader.load(dir)).hasMessage(dir + ": cannot read policy: it is a directory");
  }

  @Test
  void unreadableFiles(@TempDir Path dir) throws IOException {
    Path latin1 = dir.resolve("latin1.yaml");
    Files.write(latin1, new byte[] {'v', 'e', 'r', 's', 'i', 'o', 'n', ':', ' ', '1', '#', (byte) 0xE9, '\n'});
    assertThatThrownBy(() -> PolicyLoader.load(latin1))
        .hasMessage(latin1 + ": cannot read policy: it is not UTF-8 or UTF-16 text (nothing of it is shown: it may"
            + " not be a policy)");

    Path big = dir.resolve("big.yaml");
    byte[] bytes = new byte[PolicyLoader.MAX_SIZE + 1];
    java.util.Arrays.fill(bytes, (byte) '#');
    Files.write(big, bytes);
    assertThatThrownBy(() -> PolicyLoader.load(big)).hasMessage(big + ": cannot read policy: it is larger than 1 MiB");
  }

  @Test
  void byteOrderMarkIsIgnored(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bom.yaml");
    Files.write(file, "\uFEFFversion: 1\n".getBytes(StandardCharsets.UTF_8));
    assertThat(PolicyLoader.load(file).version()).isEqualTo(1);
  }

  @Test
  void oversizedText() {
    StringBuilder sb = new StringBuilder("version: 1\n");
    while (sb.length() <= PolicyLoader.MAX_SIZE) {
      sb.append("# padding padding padding padding padding padding padding padding\n");
    }
    assertThat(failure(sb.toString()).getMessage()).isEqualTo("p.yaml: cannot read policy: it is larger than 1 MiB");
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void aliasBombsAreRefusedAtTheFirstAnchor() throws Exception {
    PolicyException e = catchThrowableOfType(PolicyException.class,
        () -> Fixtures.parse(Fixtures.ROOT.resolve("invalid/billion-laughs.yaml")));
    assertThat(e.getMessage()).isEqualTo("billion-laughs.yaml:3:4: syntax error: anchors (&a) are not supported in a"
        + " policy; write each value out in full");
    Problem p = e.problems().get(0);
    assertThat(p.path()).isEmpty();
    assertThat(p.line()).isEqualTo(3);
    assertThat(p.column()).isEqualTo(4);
    assertThat(p.message()).startsWith("syntax error: ");
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void aLargePolicyNearTheSizeLimitLoads() throws Exception {
    // one rule with a 50,000-pattern class list and 5,000 more rules: about 900 KB
    StringBuilder sb = new StringBuilder("version: 1\n");
    sb.append("reservations: { r: { protocol: tcp, startPort: 1, count: 1 } }\n");
    sb.append("rules:\n  - name: big\n    reservation: r\n    match:\n      class: [");
    for (int i = 0; i < 50000; i++) {
      sb.append(i == 0 ? "" : ", ").append("a.B").append(i);
    }
    sb.append("]\n");
    for (int i = 0; i < 5000; i++) {
      sb.append("  - { name: r").append(i).append(", match: { port: 1 }, reservation: r }\n");
    }
    assertThat(sb.length()).isLessThan(PolicyLoader.MAX_SIZE);
    Policy p = PolicyLoader.parse(sb.toString(), "p.yaml", null);
    assertThat(p.rules()).hasSize(5001);
    assertThat(p.rules().get(0).classes().patterns()).hasSize(50000);
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void deepNestingIsAnErrorNotAStackOverflow() {
    StringBuilder sb = new StringBuilder("version: 1\nx: ");
    for (int i = 0; i < 100000; i++) {
      sb.append('[');
    }
    PolicyException e = failure(sb.toString());
    assertThat(e.getMessage())
        .isEqualTo("p.yaml:2:67: syntax error: lists and maps are nested more than 64 levels deep");
  }

  @Test
  void syntaxErrorsStopTheReadingAtTheFirst() {
    PolicyException e = failure("version: 2\nmode: x\nlog:\n  level: debug\n   file: a.log\nrules: *r\n");
    assertThat(e.getMessage()).isEqualTo("p.yaml:5:4: syntax error: unexpected indentation: 'level' on line 4"
        + " already has its value, which cannot continue on the next line (keep it on one line, quoted if needed); to"
        + " add a key beside 'level', indent it like 'level' (column 3)");
    assertThat(e.warnings()).isEmpty();
  }

  @Test
  void hexAndOctalAreIntegersAsInTheYamlCoreSchema() throws Exception {
    Policy p = PolicyLoader.parse("version: 1\nreservations: { r: { protocol: tcp, startPort: 0x10, count: 0o2 } }\n",
        "p.yaml", null);
    assertThat(p.reservation("r").describe()).isEqualTo("tcp 16-17");
    // so an unquoted token is a YAML integer, not text: rejected with the fix, not silently accepted
    assertThat(failure("version: 1\nreservations: { r: { protocol: tcp, startPort: 0x10, count: 0o2, token: 0xAB } }\n")
        .getMessage()).isEqualTo("p.yaml:2:73: reservations.r.token: expected a quoted string, got an integer (0xAB);"
        + " write token: \"0xAB\"");
  }

  @Test
  void tooManyErrorsAreCapped() {
    StringBuilder sb = new StringBuilder("version: 1\n");
    for (int i = 0; i < 250; i++) {
      sb.append("k").append(i).append(": 1\n");
    }
    PolicyException e = failure(sb.toString());
    assertThat(e.problems()).hasSize(PolicyLoader.MAX_ERRORS + 1);
    assertThat(e.problems().get(PolicyLoader.MAX_ERRORS).toString())
        .isEqualTo("p.yaml: ... and 50 more errors not shown");
  }

  @Test
  void warningsAreNotErrorsButComeBackWithFailures() {
    PolicyException e = failure("version: 1\nmode: x\nreservations: { r: { protocol: tcp, startPort: 1, count: 1 } }\n"
        + "rules: [ { name: a, match: { port: 2 }, reservation: r } ]\n");
    assertThat(e.problems()).hasSize(1);
    assertThat(e.warnings()).extracting(Problem::toString)
        .containsExactly("p.yaml:4:36: rules[0].match.port: port 2 is outside reservation 'r' (tcp 1)");
  }

  @Test
  void problemFormats() {
    assertThat(new Problem(Problem.Severity.ERROR, "f.yaml", 14, 13, "rules[0].match.port", "m").toString())
        .isEqualTo("f.yaml:14:13: rules[0].match.port: m");
    assertThat(new Problem(Problem.Severity.ERROR, "f.yaml", 3, 1, "", "syntax error: x").toString())
        .isEqualTo("f.yaml:3:1: syntax error: x");
    assertThat(new Problem(Problem.Severity.WARNING, "f.yaml", 0, 0, null, "cannot read policy: x").toString())
        .isEqualTo("f.yaml: cannot read policy: x");
  }

  @Test
  void suggestionsOnlyWhenClose() {
    String[] keys = {"protocol", "startPort", "count", "kind", "token", "create"};
    assertThat(PolicyLoader.nearest("startport", keys)).isEqualTo("startPort");
    assertThat(PolicyLoader.nearest("protcol", keys)).isEqualTo("protocol");
    assertThat(PolicyLoader.nearest("cuont", keys)).isEqualTo("count");
    assertThat(PolicyLoader.nearest("knd", keys)).isEqualTo("kind");
    assertThat(PolicyLoader.nearest("colour", keys)).isNull();
    assertThat(PolicyLoader.nearest("x", keys)).isNull();
  }

  @Test
  void coreSchemaIntegers() {
    assertThat(PolicyLoader.parseInt("8080")).isEqualTo(8080);
    assertThat(PolicyLoader.parseInt("+8080")).isEqualTo(8080);
    assertThat(PolicyLoader.parseInt("-1")).isEqualTo(-1);
    assertThat(PolicyLoader.parseInt("0x1F90")).isEqualTo(8080);
    assertThat(PolicyLoader.parseInt("0o17560")).isEqualTo(8048);
    assertThat(PolicyLoader.parseInt("99999999999999999999999")).isEqualTo(1L << 40);
    assertThat(PolicyLoader.parseInt("ten")).isEqualTo(Long.MIN_VALUE);
    assertThat(PolicyLoader.parseInt("0x")).isEqualTo(Long.MIN_VALUE);
  }

  @Test
  void enums() {
    assertThat(Protocol.TCP.id()).isEqualTo("tcp");
    assertThat(Protocol.UDP.id()).isEqualTo("udp");
    assertThat(Mode.AUDIT.id()).isEqualTo("audit");
    assertThat(ReservationKind.RUNTIME.id()).isEqualTo("runtime");
    assertThat(OnError.CONTINUE.id()).isEqualTo("continue");
    assertThat(LogLevel.INFO.enables(LogLevel.ERROR)).isTrue();
    assertThat(LogLevel.INFO.enables(LogLevel.INFO)).isTrue();
    assertThat(LogLevel.INFO.enables(LogLevel.DEBUG)).isFalse();
    assertThat(LogLevel.DEBUG.enables(LogLevel.DEBUG)).isTrue();
    assertThat(LogLevel.ERROR.enables(LogLevel.WARN)).isFalse();
    assertThat(LogLevel.OFF.enables(LogLevel.ERROR)).isFalse();
    assertThat(LogLevel.DEBUG.enables(LogLevel.OFF)).isFalse();
  }
}
