package io.portres.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every fixture loads (valid) or fails with exactly the expected lines (invalid). See {@link Fixtures}. */
class FixtureTest {

  @Test
  void corpusIsThere() {
    assertThat(Fixtures.list("valid")).hasSizeGreaterThanOrEqualTo(10);
    assertThat(Fixtures.list("invalid")).hasSizeGreaterThanOrEqualTo(25);
    for (Path p : Fixtures.list("invalid")) {
      assertThat(Fixtures.sibling(p, ".expected")).as("expected file for %s", p).exists();
    }
  }

  @TestFactory
  Stream<DynamicTest> validFixturesLoad() {
    return Fixtures.list("valid").stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
      Policy policy = Fixtures.parse(p);
      List<String> warnings = policy.warnings().stream().map(Problem::toString).collect(Collectors.toList());
      Path expectedFile = Fixtures.sibling(p, ".warnings");
      if (Fixtures.UPDATE) {
        Fixtures.write(expectedFile, warnings);
      }
      assertThat(warnings).containsExactlyElementsOf(Fixtures.expectedLines(expectedFile));
      assertThat(policy.warnings()).allMatch(w -> w.severity() == Problem.Severity.WARNING);
      assertThat(policy.source()).isEqualTo(p.getFileName().toString());
    }));
  }

  @TestFactory
  Stream<DynamicTest> invalidFixturesFailWithAllExpectedErrors() {
    return Fixtures.list("invalid").stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
      PolicyException e = catchThrowableOfType(PolicyException.class, () -> Fixtures.parse(p));
      assertThat(e).as("%s must be rejected", p).isNotNull();
      List<String> lines = Arrays.asList(e.getMessage().split("\n"));
      Path expectedFile = Fixtures.sibling(p, ".expected");
      if (Fixtures.UPDATE) {
        Fixtures.write(expectedFile, lines);
      }
      assertThat(lines).containsExactlyElementsOf(Fixtures.expectedLines(expectedFile));
      assertThat(e.problems()).extracting(Problem::toString).containsExactlyElementsOf(lines);
      assertThat(e.problems()).allMatch(q -> q.severity() == Problem.Severity.ERROR);
    }));
  }
}
