package io.portres.policy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The policy corpus under {@code src/test/resources/policies}: {@code valid/*.yaml} (with an optional
 * {@code .warnings} file of expected warning lines) and {@code invalid/*.yaml} (each with an {@code .expected} file
 * of the exact expected error lines). A first line {@code # schema: semantic (...)} marks an invalid fixture that
 * the JSON Schema cannot reject (cross-references, arithmetic); {@code # schema: yaml (...)} marks one that has no
 * JSON form at all (syntax errors, duplicate keys) or is YAML outside the policy subset (anchors and aliases, tags).
 *
 * <p>Run the tests with {@code -Dportres.updateFixtures=true} to rewrite the expected files from the current
 * output (then review the diff).
 */
final class Fixtures {
  static final Path ROOT = Paths.get("src/test/resources/policies");
  static final boolean UPDATE = Boolean.getBoolean("portres.updateFixtures");

  private Fixtures() {}

  static List<Path> list(String kind) {
    try (Stream<Path> s = Files.list(ROOT.resolve(kind))) {
      return s.filter(p -> p.toString().endsWith(".yaml")).sorted().collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String read(Path p) {
    try {
      return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The word after {@code # schema:} on the first line, or null. */
  static String schemaMarker(Path p) {
    String text = read(p);
    if (!text.startsWith("# schema: ")) {
      return null;
    }
    String rest = text.substring("# schema: ".length());
    int end = 0;
    while (end < rest.length() && Character.isLetter(rest.charAt(end))) {
      end++;
    }
    return rest.substring(0, end);
  }

  static Path sibling(Path p, String ext) {
    String n = p.getFileName().toString();
    return p.resolveSibling(n.substring(0, n.length() - ".yaml".length()) + ext);
  }

  static List<String> expectedLines(Path file) {
    if (!Files.exists(file)) {
      return new ArrayList<>();
    }
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void write(Path file, List<String> lines) {
    try {
      if (lines.isEmpty()) {
        Files.deleteIfExists(file);
      } else {
        Files.write(file, lines, StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Policy parse(Path p) throws PolicyException {
    return PolicyLoader.parse(read(p), p.getFileName().toString(), p.getParent());
  }
}
