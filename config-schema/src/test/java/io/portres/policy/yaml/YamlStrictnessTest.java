package io.portres.policy.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.portres.policy.PolicyException;
import io.portres.policy.PolicyLoader;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * What YAML 1.2 refuses and the reader used to accept (issue 14, section 4), each checked against snakeyaml-engine:
 * keys equal by value, a block list item inside a flow collection, a key whose ':' is on another line, keys over
 * 1024 characters; and reservation names that YAML does not read as text.
 */
class YamlStrictnessTest {

  /** snakeyaml-engine loading with the core schema: it constructs, so it checks keys for duplicates. */
  private static Throwable snakeyamlRefusal(String yaml) {
    return catchThrowable(() -> new Load(LoadSettings.builder().setSchema(new CoreSchema()).build())
        .loadFromString(yaml));
  }

  /** YAML text, then line:column and the start of our message. */
  private static final String[][] REFUSED_BY_BOTH = {
    {"0x10: a\n16: b", "2:1", "duplicate key '16' (first on line 1, which YAML reads as the same integer as '0x10');"
        + " quote the keys to make them text: \"16\""},
    {"r:\n  0o20: a\n  +16: b", "3:3", "duplicate key '+16' (first on line 2, which YAML reads as the same integer"
        + " as '0o20')"},
    {"true: a\nTrue: b", "2:1", "duplicate key 'True' (first on line 1, which YAML reads as the same boolean as"
        + " 'true')"},
    {"null: a\n~: b", "2:1", "duplicate key '~' (first on line 1, which YAML reads as the same null as 'null')"},
    {"{1e3: a, 1000.0: b}", "1:10", "duplicate key '1000.0' (first on line 1, column 2, which YAML reads as the"
        + " same number as '1e3')"},
    {"a: 1\na: 2", "2:1", "duplicate key 'a' (first on line 1)"},
    {"log: { events: - ev.jsonl }", "1:16", "a block list item ('- ') cannot appear inside [ ] or { }"},
    {"a: [- x]", "1:5", "a block list item ('- ') cannot appear inside [ ] or { }"},
    {"a: { b\n  : 1 }", "1:6", "a key and its ':' must be on one line"},
    {"a: { \"b\"\n  : 1 }", "1:6", "a key and its ':' must be on one line"},
    {"a: {b # comment\n  : 1 }", "1:5", "a key and its ':' must be on one line"},
  };

  @TestFactory
  Stream<DynamicTest> refusedByBothReaders() {
    return Arrays.stream(REFUSED_BY_BOTH).map(c -> DynamicTest.dynamicTest(c[0].replace("\n", "\\n"), () -> {
      assertThat(snakeyamlRefusal(c[0])).as("snakeyaml-engine refuses %s", c[0]).isNotNull();
      YamlException e = catchThrowableOfType(YamlException.class, () -> YamlReader.read(c[0]));
      assertThat(e).as("YamlReader refuses %s", c[0]).isNotNull();
      assertThat(e.line() + ":" + e.column() + " " + e.getMessage()).startsWith(c[1] + " " + c[2]);
    }));
  }

  @Test
  void keysOver1024CharactersAreRefusedLikeSnakeyamlDoes() {
    char[] k = new char[1100];
    Arrays.fill(k, 'k');
    String yaml = "a: 1\n" + new String(k) + ": 2\n";
    assertThat(snakeyamlRefusal(yaml)).isNotNull();
    YamlException e = catchThrowableOfType(YamlException.class, () -> YamlReader.read(yaml));
    assertThat(e.line() + ":" + e.column() + " " + e.getMessage())
        .isEqualTo("2:1 this key is 1100 characters long; YAML allows at most 1024 in a key");
    String flow = "{" + new String(k) + ": 2}";
    assertThat(snakeyamlRefusal(flow)).isNotNull();
    assertThat(catchThrowableOfType(YamlException.class, () -> YamlReader.read(flow))).isNotNull();
  }

  /** Near misses that both readers accept, read to the same tree. */
  @TestFactory
  Stream<DynamicTest> acceptedByBothReaders() {
    char[] k = new char[1000];
    Arrays.fill(k, 'k');
    String[] accepted = {
      "\"16\": a\n16: b", // a string and an integer: two keys
      "'true': a\ntrue: b",
      "null: a\n'null': b",
      "log: { events: \"- ev.jsonl\" }",
      "a: [-x, -1, '- y']",
      "a: { b: 1,\n  c: 2 }",
      new String(k) + ": 1",
    };
    return Arrays.stream(accepted).map(y -> DynamicTest.dynamicTest(y.length() > 40 ? y.substring(0, 40) : y,
        () -> {
          assertThat(snakeyamlRefusal(y)).as("snakeyaml-engine accepts %s", y).isNull();
          assertThat(YamlReaderTest.tree(YamlReader.read(y))).isEqualTo(YamlReaderTest.snakeTree(y));
        }));
  }

  /**
   * {@code null:}, {@code 8080:}, {@code 1e3:}, {@code 0x1F:} are not the names they look like: YAML reads null,
   * 8080, 1000.0 and 31. A reservation name must be text: refused with its position and the fix.
   */
  @Test
  void reservationNamesThatYamlDoesNotReadAsTextAreRefused() {
    String[][] cases = {
      {"null", "nothing (null)", "tag:yaml.org,2002:null"},
      {"8080", "an integer (8080)", "tag:yaml.org,2002:int"},
      {"1e3", "a number (1e3)", "tag:yaml.org,2002:float"},
      {"0x1F", "an integer (0x1F)", "tag:yaml.org,2002:int"},
      {"True", "a boolean (True)", "tag:yaml.org,2002:bool"},
    };
    for (String[] c : cases) {
      String yaml = "version: 1\nreservations:\n  " + c[0] + ": {protocol: tcp, startPort: 5000, count: 1}\n";
      MappingNode root = (MappingNode) FullYaml.compose(yaml);
      Node reservations = root.getValue().get(1).getValueNode();
      NodeTuple t = ((MappingNode) reservations).getValue().get(0);
      assertThat(t.getKeyNode().getTag()).isEqualTo(new Tag(c[2]));
      PolicyException e = catchThrowableOfType(PolicyException.class, () -> PolicyLoader.parse(yaml, "p.yaml", null));
      assertThat(e).as(c[0]).isNotNull();
      assertThat(e.getMessage()).isEqualTo("p.yaml:3:3: reservations." + c[0] + ": the name " + c[0] + " reads as "
          + c[1] + " in YAML, not as text; quote it: \"" + c[0] + "\":");
      String quoted = yaml.replace("  " + c[0] + ":", "  \"" + c[0] + "\":");
      assertThat(catchThrowable(() -> PolicyLoader.parse(quoted, "p.yaml", null))).as(quoted).isNull();
    }
  }
}
