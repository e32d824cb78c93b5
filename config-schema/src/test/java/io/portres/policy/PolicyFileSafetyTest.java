package io.portres.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading a policy file that is not one: a FIFO, a link loop, another file's secrets, a file in another encoding;
 * and what problems print (issue 14 sections 3 and 4, issue 12 section 5, issue 11 section 3).
 */
class PolicyFileSafetyTest {

  private static String loadError(Path file) {
    PolicyException e = catchThrowableOfType(PolicyException.class, () -> PolicyLoader.load(file));
    assertThat(e).as("expected a PolicyException").isNotNull();
    return e.getMessage();
  }

  @Test
  @EnabledOnOs({OS.LINUX, OS.MAC})
  // before the fix, reading the FIFO blocked forever: the test fails after 20 s instead of hanging with it
  @Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aFifoIsRefusedWithoutOpeningIt(@TempDir Path dir) throws Exception {
    Path fifo = dir.resolve("policy.yaml");
    Process p = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
    assertThat(p.waitFor()).isZero();
    assertThat(loadError(fifo)).isEqualTo(fifo + ": cannot read policy: it is not a regular file (a named pipe,"
        + " socket or device); a policy must be a regular file");
  }

  @Test
  @EnabledOnOs({OS.LINUX, OS.MAC})
  void aSymbolicLinkLoopIsNamedAsSuch(@TempDir Path dir) throws Exception {
    Path a = dir.resolve("a.yaml");
    Path b = dir.resolve("b.yaml");
    Files.createSymbolicLink(a, b);
    Files.createSymbolicLink(b, a);
    assertThat(loadError(a)).isEqualTo(a + ": cannot read policy: it is a symbolic link loop (" + a
        + " leads back to itself); point the link at the policy file");
    Path dangling = dir.resolve("dangling.yaml");
    Files.createSymbolicLink(dangling, dir.resolve("gone.yaml"));
    assertThat(loadError(dangling)).isEqualTo(dangling + ": cannot read policy: it is a symbolic link to a file"
        + " that does not exist (a dangling link)");
  }

  /** A policy link to /etc/shadow must not print its lines as "unknown key" errors. */
  @Test
  void aFileThatIsNotAPolicyIsNotQuoted(@TempDir Path dir) throws Exception {
    String secret = "root:$6$Zx9sEcReT$abcdefghijklmnop:19000:0:99999:7:::";
    String[] bodies = {
      secret + "\ndaemon:*:19000:0:99999:7:::\n", // a multi-line plain scalar
      "root: $6$Zx9sEcReT$abcdefghijklmnop\ndaemon: x\n", // a map without version
      "root: [$6$Zx9sEcReT$abcdefghijklmnop\n  : :\n", // not YAML
      "- $6$Zx9sEcReT$abcdefghijklmnop\n", // a list
    };
    for (String body : bodies) {
      Path shadow = dir.resolve("shadow");
      Files.write(shadow, body.getBytes(StandardCharsets.UTF_8));
      String msg = loadError(shadow);
      assertThat(msg).as(body).doesNotContain("Zx9sEcReT").doesNotContain("root").doesNotContain("daemon");
    }
  }

  @Test
  void controlCharactersInProblemsAreEscaped() {
    String yaml = "version: 1\nreservations:\n  r: {protocol: tcp, startPort: 5000, count: 1}\nrules:\n"
        + "  - name: \"x\\n/etc/portres/policy.yaml:1:1: all good\\e[2K\"\n    match: {port: 5000}\n"
        + "    reservation: r\n";
    PolicyException e = catchThrowableOfType(PolicyException.class, () -> PolicyLoader.parse(yaml, "p.yaml", null));
    assertThat(e).isNotNull();
    assertThat(e.problems()).hasSize(1);
    String line = e.problems().get(0).toString();
    assertThat(line).doesNotContain("\n").doesNotContain("\u001b")
        .contains("'x\\n/etc/portres/policy.yaml:1:1: all good\\e[2K'");
    assertThat(e.getMessage()).doesNotContain("\u001b").hasLineCount(1);
  }

  @Test
  void longValuesAreQuotedShort() {
    StringBuilder key = new StringBuilder();
    for (int i = 0; i < 100; i++) {
      key.append("abcdefghij");
    }
    String msg = catchThrowableOfType(PolicyException.class,
        () -> PolicyLoader.parse("version: 1\n" + key + ": 1\n", "p.yaml", null)).getMessage();
    assertThat(msg).hasSizeLessThan(300).contains("unknown key 'abcdefghij")
        .doesNotContain(key.substring(0, 100));
  }

  @Test
  void warningsAreCappedLikeErrors() throws Exception {
    StringBuilder sb = new StringBuilder("version: 1\nreservations:\n  r: {protocol: tcp, startPort: 5000, count: 1}\n"
        + "rules:\n");
    for (int i = 0; i < 500; i++) {
      sb.append("  - {name: r").append(i).append(", reservation: r, match: {port: ").append(6000 + i).append("}}\n");
    }
    Policy p = PolicyLoader.parse(sb.toString(), "p.yaml", null);
    assertThat(p.warnings()).hasSize(PolicyLoader.MAX_ERRORS + 1);
    assertThat(p.warnings().get(PolicyLoader.MAX_ERRORS).toString())
        .isEqualTo("p.yaml: ... and 300 more warnings not shown");
  }

  @Test
  void logFileMustNotBeThePolicy(@TempDir Path dir) throws Exception {
    Path policy = dir.resolve("policy.yaml");
    Files.write(policy, "version: 1\nlog:\n  file: policy.yaml\n".getBytes(StandardCharsets.UTF_8));
    assertThat(loadError(policy)).isEqualTo(policy + ":3:9: log.file: log.file names the policy file itself ("
        + policy + "): the agent would write into its own policy; give the log its own file");
    Files.write(policy, ("version: 1\nlog:\n  events: ./sub/../policy.yaml\n").getBytes(StandardCharsets.UTF_8));
    assertThat(loadError(policy)).contains("log.events names the policy file itself");
    Files.write(policy, ("version: 1\nlog:\n  file: x.log\n  events: x.log\n").getBytes(StandardCharsets.UTF_8));
    assertThat(loadError(policy)).contains("log.events: log.events names the same file as log.file");
  }

  @Test
  @EnabledOnOs({OS.LINUX, OS.MAC})
  void logFileMustNotBeThePolicyThroughALink(@TempDir Path dir) throws Exception {
    Path real = dir.resolve("real.yaml");
    Files.write(real, "version: 1\nlog:\n  file: alias.yaml\n".getBytes(StandardCharsets.UTF_8));
    Files.createSymbolicLink(dir.resolve("alias.yaml"), real);
    assertThat(loadError(real)).contains("log.file names the policy file itself");
  }

  @Test
  void rotationSettings() throws Exception {
    Policy p = PolicyLoader.parse("version: 1\nlog: {events: e.jsonl, maxSize: 10MiB, keep: 5}\n", "p.yaml", null);
    assertThat(p.log().maxSize()).isEqualTo(10L << 20);
    assertThat(p.log().keep()).isEqualTo(5);
    Policy d = PolicyLoader.parse("version: 1\n", "p.yaml", null);
    assertThat(d.log().maxSize()).isEqualTo(LogSettings.DEFAULT_MAX_SIZE);
    assertThat(d.log().keep()).isEqualTo(LogSettings.DEFAULT_KEEP);
    assertThat(PolicyLoader.parse("version: 1\nlog: {maxSize: 0}\n", "p.yaml", null).log().maxSize()).isZero();
    assertThat(PolicyLoader.parse("version: 1\nlog: {maxSize: 1048576}\n", "p.yaml", null).log().maxSize())
        .isEqualTo(1 << 20);
    assertThat(catchThrowableOfType(PolicyException.class,
        () -> PolicyLoader.parse("version: 1\nlog: {maxSize: 10MB, keep: 0}\n", "p.yaml", null)).getMessage())
        .isEqualTo("p.yaml:2:16: log.maxSize: expected a size such as 64MiB (KiB, MiB or GiB), a number of bytes,"
            + " or 0 for no limit, got a string ('10MB')\n"
            + "p.yaml:2:28: log.keep: 0 is not a valid number of old files to keep (1-100)");
    assertThat(catchThrowableOfType(PolicyException.class,
        () -> PolicyLoader.parse("version: 1\nlog: {maxSize: 1KiB}\n", "p.yaml", null)).getMessage())
        .contains("1KiB is not a valid size: give at least 64KiB");
  }

  /** Windows PowerShell 5.1's {@code >} and {@code Out-File} write UTF-16LE with a BOM. */
  @Test
  void utf16AndUtf32PoliciesAreRead(@TempDir Path dir) throws Exception {
    String yaml = "version: 1\r\nreservations:\r\n  r\u00e9s: {protocol: tcp, startPort: 5000, count: 2}\r\n";
    Object[][] encodings = {
      {"UTF-16LE", new byte[] {(byte) 0xFF, (byte) 0xFE}},
      {"UTF-16BE", new byte[] {(byte) 0xFE, (byte) 0xFF}},
      {"UTF-16LE", new byte[0]},
      {"UTF-16BE", new byte[0]},
      {"UTF-32LE", new byte[] {(byte) 0xFF, (byte) 0xFE, 0, 0}},
      {"UTF-32BE", new byte[] {0, 0, (byte) 0xFE, (byte) 0xFF}},
      {"UTF-32LE", new byte[0]},
      {"UTF-32BE", new byte[0]},
    };
    for (Object[] enc : encodings) {
      Path f = dir.resolve("p.yaml");
      byte[] bom = (byte[]) enc[1];
      byte[] body = yaml.getBytes(java.nio.charset.Charset.forName((String) enc[0]));
      byte[] all = new byte[bom.length + body.length];
      System.arraycopy(bom, 0, all, 0, bom.length);
      System.arraycopy(body, 0, all, bom.length, body.length);
      Files.write(f, all);
      PolicyException e = catchThrowableOfType(PolicyException.class, () -> PolicyLoader.load(f));
      // the name is read in full (é survives the decoding) and refused as a name, not the file as text
      assertThat(e).as(enc[0] + " bom " + bom.length).isNotNull();
      assertThat(e.getMessage()).as(enc[0] + " bom " + bom.length)
          .startsWith(f + ":3:3: reservations.r\u00e9s: 'r\u00e9s' is not a valid reservation name");
    }
    Path f = dir.resolve("ok.yaml");
    byte[] body = "version: 1\r\nmode: audit\r\n".getBytes(StandardCharsets.UTF_16LE);
    byte[] all = new byte[body.length + 2];
    all[0] = (byte) 0xFF;
    all[1] = (byte) 0xFE;
    System.arraycopy(body, 0, all, 2, body.length);
    Files.write(f, all);
    assertThat(PolicyLoader.load(f).mode()).isEqualTo(Mode.AUDIT);
  }
}
