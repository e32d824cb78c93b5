package io.portres.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.portres.policy.yaml.FullYaml;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * policy.schema.json and the loader agree: on every fixture (valid: both accept; invalid: both reject, except
 * those marked {@code # schema: semantic}, which the schema must accept, and {@code # schema: yaml}, which have no
 * JSON form), and on generated one-value policies for the fields with patterns.
 */
class SchemaAgreementTest {
  private static final String SCHEMA_RESOURCE = "/" + PolicyLoader.SCHEMA_RESOURCE;
  private static JsonSchema schema;
  private static JsonNode schemaJson;

  @BeforeAll
  static void loadSchema() throws IOException {
    JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    try (InputStream in = SchemaAgreementTest.class.getResourceAsStream(SCHEMA_RESOURCE)) {
      schemaJson = new ObjectMapper().readTree(in);
    }
    schema = factory.getSchema(schemaJson);
  }

  @Test
  void schemaIsAValidDraft202012Schema() {
    JsonSchema meta = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
        .getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));
    assertThat(meta.validate(schemaJson)).isEmpty();
    assertThat(schemaJson.get("$id").asText()).isEqualTo("https://portres.io/schema/policy-v1.json");
  }

  @Test
  void everyPropertyHasADescription() {
    assertDescribed(schemaJson, "#");
  }

  private static void assertDescribed(JsonNode node, String where) {
    JsonNode props = node.get("properties");
    if (props != null && node.has("type")) {
      props.fields().forEachRemaining(e -> {
        JsonNode p = e.getValue();
        boolean described = p.has("description")
            || (p.has("$ref") && schemaJson.at(p.get("$ref").asText().substring(1)).has("description"));
        assertThat(described).as("description of %s/%s", where, e.getKey()).isTrue();
        assertDescribed(p, where + "/" + e.getKey());
      });
    }
    JsonNode defs = node.get("$defs");
    if (defs != null) {
      defs.fields().forEachRemaining(e -> assertDescribed(e.getValue(), "#/$defs/" + e.getKey()));
    }
  }

  @TestFactory
  Stream<DynamicTest> validFixturesPassTheSchema() {
    return Fixtures.list("valid").stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () ->
        assertThat(validate(Fixtures.read(p))).as("schema errors for %s", p).isEmpty()));
  }

  @TestFactory
  Stream<DynamicTest> invalidFixturesFailTheSchemaUnlessMarked() {
    return Fixtures.list("invalid").stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
      String marker = Fixtures.schemaMarker(p);
      if ("yaml".equals(marker)) {
        return; // no JSON form; the loader's verdict is checked by FixtureTest
      }
      Set<ValidationMessage> errors = validate(Fixtures.read(p));
      if ("semantic".equals(marker)) {
        assertThat(errors).as("%s is marked semantic, so the schema must accept it", p).isEmpty();
      } else {
        assertThat(errors).as("schema must reject %s", p).isNotEmpty();
      }
    }));
  }

  @Test
  void markersAreKnown() {
    for (Path p : Fixtures.list("invalid")) {
      assertThat(Fixtures.schemaMarker(p)).as("marker of %s", p).isIn(null, "yaml", "semantic");
    }
  }

  /** One-value policies: the loader and the schema give the same verdict. */
  @TestFactory
  Stream<DynamicTest> fieldValuesAgree() {
    String[] addresses = {"any", "wildcard", "loopback", "Any", "localhost", "10.0.0.1", "10.0.0.0/8", "10.0.0.0/0",
      "10.0.0.0/32", "10.0.0.0/33", "10.0.0.0/08", "256.0.0.1", "01.0.0.1", "1.2.3", "::", "::1", "1::", "::/0",
      "::1/128", "::1/129", "fe80::/10", "FE80::1", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
      "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1::2::3", ":::", ":1::", "1::2:", "12345::", "gggg::1",
      "::ffff:1.2.3.4", "::ffff:1.2.3.4/104", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "1::1.2.3.4",
      "1.2.3.4::", "::1.2.3.4:5", "fe80::1%eth0", "[::1]", " 10.0.0.1", ""};
    String[] classes = {"a", "a.B", "a.*", "*", "**", "a.**", "**.B", "a.**.B", "a.B$C", "a.*$*", "_x.$y1",
      "a.**b", "a.***", "a..b", ".a", "a.", "a b", "a/b", "a-b", "a#b", "", "**.**", "*a*b*", "a.*.*.b",
      "org.exämple.X"};
    String[] ports = {"0", "1", "8080", "65535", "65536", "1-65535", "0-10", "1-1", "8000-8099", "08080", "80x", "8000 - 8099", "-1", "1-", "-", "99999-100000", "", "6553-65536"};
    String[] tokens = {"0x1", "0x1A2B3C4D5E6F7788", "0xffffffffffffffff", "0x", "0x1A2B3C4D5E6F77889", "1A2B",
      "0X1A", "0xG", " 0x1"};
    String[] names = {"a", "web-1", "a.b_c", "_x", "9", "-a", ".a", "a b", "", "ä",
      "a123456789012345678901234567890123456789012345678901234567890123",
      "a1234567890123456789012345678901234567890123456789012345678901234"};
    Map<String, String> cases = new HashMap<>();
    for (String a : addresses) {
      cases.put("address " + a, rule("match: { port: 1, address: " + q(a) + " }"));
    }
    for (String c : classes) {
      cases.put("class " + c, rule("match: { class: " + q(c) + " }"));
    }
    for (String p : ports) {
      cases.put("port " + p, rule("match: { port: " + q(p) + " }"));
    }
    for (String t : tokens) {
      cases.put("token " + t, "version: 1\nreservations: { r: { protocol: tcp, startPort: 1, count: 1, token: "
          + q(t) + " } }\n");
    }
    for (String n : names) {
      cases.put("reservation name " + n, "version: 1\nreservations: { " + q(n) + ": { protocol: tcp, startPort: 1,"
          + " count: 1 } }\n");
      cases.put("rule name " + n, "version: 1\nreservations: { r: { protocol: tcp, startPort: 1, count: 1 } }\n"
          + "rules: [ { name: " + q(n) + ", match: { port: 1 }, reservation: r } ]\n");
    }
    String[] sizes = {"0", "65535", "65536", "1099511627775", "1099511627776", "-1", "0KiB", "63KiB", "64KiB",
        "999999KiB", "1000000KiB", "1MiB", "999999MiB", "0GiB", "1023GiB", "1024GiB", "64MB", "64 MiB", "064MiB",
        "MiB", "1.5MiB"};
    for (String z : sizes) {
      cases.put("log.maxSize " + z, "version: 1\nlog: { maxSize: " + (z.matches("-?[0-9]+") ? z : q(z)) + " }\n");
    }
    for (String k : new String[] {"0", "1", "100", "101", "'3'"}) {
      cases.put("log.keep " + k, "version: 1\nlog: { keep: " + k + " }\n");
    }
    // what a pattern cannot say: the loader rejects these, the schema lets them through
    String[] semanticPorts = {"8099-8000", "2-1"};
    for (String p : semanticPorts) {
      cases.put("semantic port " + p, rule("match: { port: " + q(p) + " }"));
    }
    return cases.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(e ->
        DynamicTest.dynamicTest(e.getKey(), () -> {
          boolean loaderAccepts = loaderAccepts(e.getValue());
          boolean schemaAccepts = validate(e.getValue()).isEmpty();
          boolean semantic = e.getKey().startsWith("semantic ");
          assertThat(schemaAccepts).as("schema verdict (loader %s) on:\n%s", loaderAccepts ? "accepts" : "rejects",
              e.getValue()).isEqualTo(loaderAccepts || semantic);
          if (semantic) {
            assertThat(loaderAccepts).isFalse();
          }
        }));
  }

  @Test
  void addressPatternsAgreeWithTheParserOnMoreForms() {
    JsonNode anyOf = schemaJson.at("/$defs/match/properties/address/anyOf");
    Pattern v4 = Pattern.compile(anyOf.get(1).get("pattern").asText());
    Pattern v6 = Pattern.compile(anyOf.get(2).get("pattern").asText());
    // every way of placing '::' in an 8-group address, with and without an IPv4 tail
    List<String> forms = new java.util.ArrayList<>();
    for (int groups = 0; groups <= 9; groups++) {
      for (int gap = -1; gap <= groups; gap++) {
        for (boolean v4Tail : new boolean[] {false, true}) {
          StringBuilder sb = new StringBuilder();
          int n = v4Tail ? groups - 1 : groups;
          if (n < 0) {
            continue;
          }
          for (int i = 0; i < n; i++) {
            if (i == gap) {
              sb.append(i == 0 ? "::" : ":");
            } else if (i > 0) {
              sb.append(':');
            }
            sb.append(Integer.toHexString(i + 1));
          }
          if (gap == n) {
            sb.append("::");
          } else if (v4Tail && n > 0) {
            sb.append(':');
          }
          if (v4Tail) {
            sb.append("192.0.2.1");
          }
          forms.add(sb.toString());
        }
      }
    }
    for (String f : forms) {
      boolean parses;
      try {
        AddressMatcher.parse(f);
        parses = true;
      } catch (IllegalArgumentException e) {
        parses = false;
      }
      boolean matches = v4.matcher(f).matches() || v6.matcher(f).matches();
      assertThat(matches).as("schema on '%s' (parser %s)", f, parses).isEqualTo(parses);
    }
  }

  private static String rule(String match) {
    return "version: 1\nreservations: { r: { protocol: tcp, startPort: 1, count: 65535 } }\n"
        + "rules: [ { name: x, " + match + ", reservation: r } ]\n";
  }

  private static String q(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static boolean loaderAccepts(String yaml) {
    try {
      PolicyLoader.parse(yaml, "probe.yaml", null);
      return true;
    } catch (PolicyException e) {
      return false;
    }
  }

  private static Set<ValidationMessage> validate(String yaml) {
    return schema.validate(toJson(yaml));
  }

  // ------------------------------------------------------------------------------------------ YAML -> JSON

  /** The JSON a YAML 1.2 core-schema reader (e.g. an editor) sees; the same typing as the loader. */
  static JsonNode toJson(String yaml) {
    Node root = FullYaml.compose(yaml);
    return root == null ? JsonNodeFactory.instance.nullNode() : convert(root, 0);
  }

  private static JsonNode convert(Node n, int depth) {
    assertThat(depth).as("nesting").isLessThan(100);
    JsonNodeFactory f = JsonNodeFactory.instance;
    if (n instanceof MappingNode) {
      ObjectNode o = f.objectNode();
      for (NodeTuple t : ((MappingNode) n).getValue()) {
        o.set(((ScalarNode) t.getKeyNode()).getValue(), convert(t.getValueNode(), depth + 1));
      }
      return o;
    }
    if (n instanceof SequenceNode) {
      ArrayNode a = f.arrayNode();
      for (Node item : ((SequenceNode) n).getValue()) {
        a.add(convert(item, depth + 1));
      }
      return a;
    }
    String v = ((ScalarNode) n).getValue();
    Tag tag = n.getTag();
    if (Tag.INT.equals(tag)) {
      return f.numberNode(v.startsWith("0x") ? new BigInteger(v.substring(2), 16)
          : v.startsWith("0o") ? new BigInteger(v.substring(2), 8) : new BigInteger(v.replace("+", "")));
    } else if (Tag.FLOAT.equals(tag)) {
      return f.numberNode(Double.parseDouble(v));
    } else if (Tag.BOOL.equals(tag)) {
      return f.booleanNode(v.equalsIgnoreCase("true"));
    } else if (Tag.NULL.equals(tag)) {
      return f.nullNode();
    } else if (Tag.STR.equals(tag)) {
      return f.textNode(v);
    }
    throw new IllegalArgumentException("no JSON form for tag " + tag + "; mark the fixture '# schema: yaml'");
  }

  @Test
  void converterTypesLikeTheLoader() {
    assertThat(toJson("a: 0x10\nb: True\nc: ~\nd: 8000-8099\ne: '1'\nf: 1.5").toString())
        .isEqualTo("{\"a\":16,\"b\":true,\"c\":null,\"d\":\"8000-8099\",\"e\":\"1\",\"f\":1.5}");
  }
}
