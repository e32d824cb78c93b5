package io.portres.policy.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.portres.policy.yaml.YamlNode.Scalar.Type;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
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
 * What {@link YamlReader} reads, with exact positions, what it refuses, with exact messages and positions, and that
 * whatever it reads (the valid policy fixtures, every accepted example here, generated documents) it reads exactly
 * as snakeyaml-engine, a full YAML 1.2 parser, does: same structure, scalar text, core-schema type and position.
 *
 * <p>Trees print as {@code {key: value}@line:col}, {@code [item]@line:col} and {@code 'text'/type@line:col}
 * ({@code /type} left out for strings).
 */
class YamlReaderTest {

  // ------------------------------------------------------------------------------------ what it reads

  /** YAML text, then the tree it reads to. Every entry is also checked against snakeyaml-engine. */
  private static final String[][] READS = {
    // block maps, nested
    {"a: 1\nb: x\n", "{'a'@1:1: '1'/integer@1:4, 'b'@2:1: 'x'@2:4}@1:1"},
    {"a:\n  b:\n    c: d\n  e: f\ng: h", "{'a'@1:1: {'b'@2:3: {'c'@3:5: 'd'@3:8}@3:5, 'e'@4:3: 'f'@4:6}@2:3,"
        + " 'g'@5:1: 'h'@5:4}@1:1"},
    // block lists: indented under the key, and at the key's own indentation
    {"a:\n  - x\n  - y\nb: 1", "{'a'@1:1: ['x'@2:5, 'y'@3:5]@2:3, 'b'@4:1: '1'/integer@4:4}@1:1"},
    {"a:\n- x\n- y\nb: 1", "{'a'@1:1: ['x'@2:3, 'y'@3:3]@2:1, 'b'@4:1: '1'/integer@4:4}@1:1"},
    {"- x\n-   y\n", "['x'@1:3, 'y'@2:5]@1:1"},
    // "- key: value" items, more keys on the following lines
    {"rules:\n  - name: a\n    match: { port: 1 }\n  - name: b\n", "{'rules'@1:1: [{'name'@2:5: 'a'@2:11,"
        + " 'match'@3:5: {'port'@3:14: '1'/integer@3:20}@3:12}@2:5, {'name'@4:5: 'b'@4:11}@4:5]@2:3}@1:1"},
    {"-   a: 1\n    b: 2\n", "[{'a'@1:5: '1'/integer@1:8, 'b'@2:5: '2'/integer@2:8}@1:5]@1:1"},
    // an item on the line after its dash
    {"-\n  a: 1\n-\n  - x\n", "[{'a'@2:3: '1'/integer@2:6}@2:3, ['x'@4:5]@4:3]@1:1"},
    // nested lists
    {"- - a\n  - b\n- - c\n", "[['a'@1:5, 'b'@2:5]@1:3, ['c'@3:5]@3:3]@1:1"},
    {"a:\n  -\n    - x\n", "{'a'@1:1: [['x'@3:7]@3:5]@2:3}@1:1"},
    // flow lists and maps, nested, JSON style, trailing comma
    {"a: [1, x, [], {}]", "{'a'@1:1: ['1'/integer@1:5, 'x'@1:8, []@1:11, {}@1:15]@1:4}@1:1"},
    {"a: {b: 1, c: [x, y], d: {e: f}}", "{'a'@1:1: {'b'@1:5: '1'/integer@1:8, 'c'@1:11: ['x'@1:15, 'y'@1:18]@1:14,"
        + " 'd'@1:22: {'e'@1:26: 'f'@1:29}@1:25}@1:4}@1:1"},
    {"{\"a\": 1, \"b\":[true,null]}", "{'a'@1:2: '1'/integer@1:7, 'b'@1:10: ['true'/boolean@1:15,"
        + " 'null'/null@1:20]@1:14}@1:1"},
    {"{\"a\":b}", "{'a'@1:2: 'b'@1:6}@1:1"},
    {"[a, b, ]", "['a'@1:2, 'b'@1:5]@1:1"},
    {"a:\n  [x, y]\n", "{'a'@1:1: ['x'@2:4, 'y'@2:7]@2:3}@1:1"},
    // flow spanning lines, with comments inside
    {"k: { a: 1,   # one\n  # a whole comment line\n  b: [x, # two\n y],\n\n c: z }  # after\nn: 2",
        "{'k'@1:1: {'a'@1:6: '1'/integer@1:9, 'b'@3:3: ['x'@3:7, 'y'@4:2]@3:6, 'c'@6:2: 'z'@6:5}@1:4,"
        + " 'n'@7:1: '2'/integer@7:4}@1:1"},
    {"a: [\n  1,\n  2\n]\n", "{'a'@1:1: ['1'/integer@2:3, '2'/integer@3:3]@1:4}@1:1"},
    // quoted scalars: escapes, '' in single quotes, quotes keep everything a string
    {"a: \"tab\\there \\\"q\\\" \\\\ \\u00e9\\x41\\U0001F600 \\/ \\0\\a\\b\\v\\f\\r\\e\\ \\N\\_\\n\"",
        "{'a'@1:1: 'tab\\there \"q\" \\\\ \u00e9A\uD83D\uDE00 / \\u0000\\u0007\\b\\u000B\\f\\r\\u001B \u0085\u00A0"
        + "\\n'@1:4}@1:1"},
    {"a: 'it''s a \\n # not a comment'", "{'a'@1:1: 'it's a \\\\n # not a comment'@1:4}@1:1"},
    {"a: ''\nb: \"\"\nc: '8080'\nd: \"true\"", "{'a'@1:1: ''@1:4, 'b'@2:1: ''@2:4, 'c'@3:1: '8080'@3:4,"
        + " 'd'@4:1: 'true'@4:4}@1:1"},
    {"\"a b\": 1\n'c: d': 2", "{'a b'@1:1: '1'/integer@1:8, 'c: d'@2:1: '2'/integer@2:9}@1:1"},
    // comments, and '#' inside values; ':' inside values
    {"# head\na: b#c   # comment\nb: x#\nc: \"#\" # c\n  # indented comment\nd: 1 #", "{'a'@2:1: 'b#c'@2:4,"
        + " 'b'@3:1: 'x#'@3:4, 'c'@4:1: '#'@4:4, 'd'@6:1: '1'/integer@6:4}@2:1"},
    {"a: ::1\nb: fe80::1%eth0\nc: 10.0.0.0/8\nd: http://x:80/y\ne: a:b", "{'a'@1:1: '::1'@1:4,"
        + " 'b'@2:1: 'fe80::1%eth0'@2:4, 'c'@3:1: '10.0.0.0/8'@3:4, 'd'@4:1: 'http://x:80/y'@4:4,"
        + " 'e'@5:1: 'a:b'@5:4}@1:1"},
    {"a: [\"::1\", 10.0.0.0/8, a:b, x]", "{'a'@1:1: ['::1'@1:5, '10.0.0.0/8'@1:12, 'a:b'@1:24, 'x'@1:29]@1:4}@1:1"},
    // plain scalars with spaces, indicators inside, and leading '-', '?', ':' followed by a non-blank
    {"web server: a b  c\nk: x, y [z] {w}\nl: -dash\nm: ?q\nn: :x", "{'web server'@1:1: 'a b  c'@1:13,"
        + " 'k'@2:1: 'x, y [z] {w}'@2:4, 'l'@3:1: '-dash'@3:4, 'm'@4:1: '?q'@4:4, 'n'@5:1: ':x'@5:4}@1:1"},
    // blanks: tabs inside and after plain values and in [ ], spaces before ':', trailing spaces
    {"a: b\tc\t# comment\nk\t: 1\nc   : d  \nf: [1,\t2]\n", "{'a'@1:1: 'b\\tc'@1:4, 'k'@2:1: '1'/integer@2:5,"
        + " 'c'@3:1: 'd'@3:7, 'f'@4:1: ['1'/integer@4:5, '2'/integer@4:8]@4:4}@1:1"},
    // empty values
    {"a:\nb: # nothing\nc: ~\nd: {e: , f: }\ng:\n  - \n  -\n  - ''", "{'a'@1:1: ''/null@1:3, 'b'@2:1: ''/null@2:3,"
        + " 'c'@3:1: '~'/null@3:4, 'd'@4:1: {'e'@4:5: ''/null@4:7, 'f'@4:10: ''/null@4:12}@4:4,"
        + " 'g'@5:1: [''/null@6:4, ''/null@7:4, ''@8:5]@6:3}@1:1"},
    // document markers, BOM, CRLF
    {"---\na: 1\n...\n", "{'a'@2:1: '1'/integer@2:4}@2:1"},
    {"--- # start\n# c\na: 1\n... # end\n# trailing comment\n", "{'a'@3:1: '1'/integer@3:4}@3:1"},
    {"\uFEFFa: 1", "{'a'@1:1: '1'/integer@1:4}@1:1"},
    {"a: 1\r\nb:\r\n  - x\r\n  - 'y'\r\n", "{'a'@1:1: '1'/integer@1:4, 'b'@2:1: ['x'@3:5, 'y'@4:5]@3:3}@1:1"},
    {"a: 1\rb: 2", "{'a'@1:1: '1'/integer@1:4, 'b'@2:1: '2'/integer@2:4}@1:1"},
    // a document that is not a map
    {"just text", "'just text'@1:1"},
    {"  [1]\n", "['1'/integer@1:4]@1:3"},
    // indented root
    {"  a: 1\n  b: 2\n", "{'a'@1:3: '1'/integer@1:6, 'b'@2:3: '2'/integer@2:6}@1:3"},
    // unicode
    {"ключ: 日本 ä\n", "{'ключ'@1:1: '日本 ä'@1:7}@1:1"},
  };

  @TestFactory
  Stream<DynamicTest> readsEveryConstructWithExactPositions() {
    return Arrays.stream(READS).map(c -> DynamicTest.dynamicTest(c[0].replace("\n", "\\n"), () ->
        assertThat(tree(YamlReader.read(c[0]))).isEqualTo(c[1])));
  }

  @Test
  void documentsWithoutContentReadAsNull() throws YamlException {
    for (String s : new String[] {"", "\n\n", "# only a comment\n", "---\n", "--- # c\n...\n", "\uFEFF", "  \n# x"}) {
      assertThat(YamlReader.read(s)).as("'%s'", s).isNull();
    }
  }

  @Test
  void coreSchemaTypes() throws YamlException {
    Map<String, Type> cases = new HashMap<>();
    for (String s : new String[] {"0", "8080", "-1", "+5", "007", "0x1F90", "0xff", "0o17", "0o0"}) {
      cases.put(s, Type.INTEGER);
    }
    for (String s : new String[] {"1.5", "-1.5", "+.5", "1.", "1e3", "1E-3", "2.5e+10", ".inf", "-.Inf", "+.INF",
      ".nan", ".NaN", ".NAN"}) {
      cases.put(s, Type.FLOAT);
    }
    for (String s : new String[] {"true", "True", "TRUE", "false", "False", "FALSE"}) {
      cases.put(s, Type.BOOLEAN);
    }
    for (String s : new String[] {"~", "null", "Null", "NULL", ""}) {
      cases.put(s, Type.NULL);
    }
    for (String s : new String[] {"yes", "no", "on", "off", "y", "tRUE", "nULL", "0x", "0xG", "0X1F", "0o8", "-0x1",
      "1_000", "1e", "e3", ".", "+", "1.2.3", "8000-8099", "-.nan", ".infinity", "1,5", "0b101", "${HOME}"}) {
      cases.put(s, Type.STRING);
    }
    for (Map.Entry<String, Type> e : cases.entrySet()) {
      YamlNode.Scalar plain = (YamlNode.Scalar) ((YamlNode.Mapping) YamlReader.read("k: " + e.getKey()))
          .get("k").value();
      assertThat(plain.type()).as("type of plain '%s'", e.getKey()).isEqualTo(e.getValue());
      assertThat(plain.quoted()).isFalse();
      assertThat(plain.isNull()).isEqualTo(e.getValue() == Type.NULL);
      YamlNode.Scalar quoted = (YamlNode.Scalar) ((YamlNode.Mapping) YamlReader.read("k: '" + e.getKey() + "'"))
          .get("k").value();
      assertThat(quoted.type()).as("type of quoted '%s'", e.getKey()).isEqualTo(Type.STRING);
      assertThat(quoted.quoted()).isTrue();
      assertThat(quoted.text()).isEqualTo(e.getKey());
    }
    // the same typing as snakeyaml-engine's core schema
    for (String s : cases.keySet()) {
      assertThat(snakeTree("k: " + s)).as("snakeyaml on '%s'", s).isEqualTo(tree(YamlReader.read("k: " + s)));
    }
  }

  @Test
  void mapLookupAndImmutability() throws YamlException {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      sb.append("k").append(i).append(": ").append(i).append('\n');
    }
    YamlNode.Mapping m = (YamlNode.Mapping) YamlReader.read(sb.toString());
    assertThat(m.entries()).hasSize(20);
    assertThat(((YamlNode.Scalar) m.get("k15").value()).text()).isEqualTo("15");
    assertThat(m.get("k3").key().line()).isEqualTo(4);
    assertThat(m.get("nope")).isNull();
    YamlNode.Mapping small = (YamlNode.Mapping) YamlReader.read("a: 1\nb: [x]");
    assertThat(small.get("b").value()).isInstanceOf(YamlNode.Sequence.class);
    assertThat(small.get("c")).isNull();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> small.entries().clear())
        .isInstanceOf(UnsupportedOperationException.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(
        () -> ((YamlNode.Sequence) small.get("b").value()).items().clear())
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void manyKeysAndDeepButLegalNestingAreFast() throws YamlException {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 100000; i++) {
      sb.append("key").append(i).append(": value\n");
    }
    long t0 = System.nanoTime();
    assertThat(((YamlNode.Mapping) YamlReader.read(sb.toString())).entries()).hasSize(100000);
    StringBuilder deep = new StringBuilder();
    for (int i = 0; i < YamlReader.MAX_DEPTH; i++) {
      deep.append('[');
    }
    for (int i = 0; i < YamlReader.MAX_DEPTH; i++) {
      deep.append(']');
    }
    assertThat(YamlReader.read(deep.toString())).isInstanceOf(YamlNode.Sequence.class);
    assertThat(System.nanoTime() - t0).as("nanoseconds").isLessThan(5_000_000_000L);
  }

  // ------------------------------------------------------------------------------------ what it refuses

  private static final String TAB = "a tab here: use spaces (YAML parsers refuse tabs around ':' and '-' and after"
      + " quoted or bracketed values; tabs are fine inside values and comments)";

  /** YAML text, then line, column and message of the refusal. */
  private static final String[][] REFUSES = {
    // anchors, aliases, tags: outside the subset (alias bombs and object construction cannot be written)
    {"a: &x 1", "1:4", "anchors (&x) are not supported in a policy; write each value out in full"},
    {"a: &x\n  b: 1", "1:4", "anchors (&x) are not supported in a policy; write each value out in full"},
    {"a: [&x 1]", "1:5", "anchors (&x) are not supported in a policy; write each value out in full"},
    {"a: *x", "1:4", "'*' starts an alias, and aliases are not supported in a policy; if *x is a value, quote it:"
        + " \"*x\""},
    {"a: { class: **.Foo }", "1:13", "'*' starts an alias, and aliases are not supported in a policy; if **.Foo is"
        + " a value, quote it: \"**.Foo\""},
    {"- *", "1:3", "'*' starts an alias, and aliases are not supported in a policy; if * is a value, quote it:"
        + " \"*\""},
    {"a: !!str 1", "1:4", "tags (!!str) are not supported in a policy; write plain values (quote a value to make it"
        + " a string)"},
    {"a: [!foo x]", "1:5", "tags (!foo) are not supported in a policy; write plain values (quote a value to make it"
        + " a string)"},
    {"!!map\na: 1", "1:1", "tags (!!map) are not supported in a policy; write plain values (quote a value to make it"
        + " a string)"},
    {"--- !!map\na: 1", "1:5", "tags (!!map) are not supported in a policy; write plain values (quote a value to"
        + " make it a string)"},
    // other YAML features outside the subset
    {"a: |\n  text", "1:4", "block scalars (| and >) are not supported in a policy; write the value on one line,"
        + " quoted if needed"},
    {"a: >-\n  text", "1:4", "block scalars (| and >) are not supported in a policy; write the value on one line,"
        + " quoted if needed"},
    {"? a\n: b", "1:1", "complex keys (?) are not supported in a policy; write 'key: value'"},
    {"%YAML 1.2\n---\na: 1", "1:1", "YAML directives (%...) are not supported in a policy"},
    {"a: 1\n---\nb: 2", "2:1", "a policy is a single YAML document; remove this '---' and what follows"},
    {"---\n---\n", "2:1", "a policy is a single YAML document; remove this '---' and what follows"},
    {"a: 1\n...\nb: 2", "3:1", "a policy is a single YAML document; nothing may follow the '...' on line 2"},
    {"a: 1\n...\n---\nb: 2", "3:1", "a policy is a single YAML document; remove this '---' and what follows"},
    {"...\na: 1", "1:1", "'...' ends a document, but none has started; remove it"},
    {"--- {a: 1}", "1:5", "start the policy on the line after '---'"},
    // tabs where common parsers refuse them (the spec allows a few of these; the subset does not)
    {"a:\n\tb: 1", "2:1", "a tab indents this line; YAML indentation must use spaces (on blank and comment lines"
        + " too)"},
    {"a:\n  \tb: 1", "2:3", "a tab indents this line; YAML indentation must use spaces (on blank and comment"
        + " lines too)"},
    {"a: 1\n \t\nb: 2", "2:2", "a tab indents this line; YAML indentation must use spaces (on blank and comment"
        + " lines too)"},
    {"a:\tb", "1:3", TAB},
    {"- \tx", "1:3", TAB},
    {"a: 'b'\t# c", "1:7", TAB},
    {"a: [1]\t", "1:7", TAB},
    {"'a'\t: 1", "1:4", TAB},
    // keys
    {"a: 1\nb: 2\na: 3", "3:1", "duplicate key 'a' (first on line 1)"},
    {"a: {x: 1, y: 2, x: 3}", "1:17", "duplicate key 'x' (first on line 1, column 5)"},
    {"'a': 1\n\"a\": 2", "2:1", "duplicate key 'a' (first on line 1)"},
    {": x", "1:1", "a key is missing before this ':'"},
    {"a: 1\n: x", "2:1", "a key is missing before this ':'"},
    {"{: x}", "1:2", "a key is missing before this ':'"},
    {"a: 1\nb\n", "2:1", "expected 'key: value' here (a key needs a ':' and a space after it)"},
    {"a: 1\nb:2\n", "2:1", "expected 'key: value' here (a key needs a ':' and a space after it)"},
    {"a: 1\n[b]: 2", "2:1", "expected 'key: value' here; a key is a plain or quoted word, not a collection"},
    {"{[a]: 1}", "1:2", "a key is a plain or quoted word, not a collection"},
    // values on one line only
    {"a: b\n  c", "2:3", "unexpected indentation: 'a' on line 1 already has its value, which cannot continue on"
        + " the next line (keep it on one line, quoted if needed); to add a key beside 'a', indent it like 'a'"
        + " (column 1)"},
    {"a:\n  b\n  c", "3:3", "unexpected indentation: 'a' on line 1 already has its value, which cannot continue on"
        + " the next line (keep it on one line, quoted if needed); to add a key beside 'a', indent it like 'a'"
        + " (column 1)"},
    {"- a\n  b", "2:3", "unexpected indentation: the list item on line 1 already has its value, which cannot"
        + " continue on the next line (keep it on one line, quoted if needed); to start a new item, write '- ' in"
        + " column 1"},
    {"a: \"b\n c\"", "1:4", "this quoted string is not closed on its line (a quoted value must end on the line"
        + " where it starts)"},
    {"a: 'b", "1:4", "this quoted string is not closed on its line (a quoted value must end on the line where it"
        + " starts)"},
    {"a: \"b\\\n c\"", "1:6", "a backslash at the end of the line: a quoted value must end on the line where it"
        + " starts"},
    {"a: x\nversion 1\n", "2:1", "expected 'key: value' here (a key needs a ':' and a space after it)"},
    // misplaced lines: the message names what the line could line up with
    {"a:\n  - x\n  y: 1", "3:3", "this line is indented like the list under 'a' (line 2) but does not start with"
        + " '- '; to add a key beside 'a', indent it like 'a' (column 1)"},
    {"rules:\n  - name: a\n    match: 1\n  reservation: r", "4:3", "this line is indented like the list under"
        + " 'rules' (line 2) but does not start with '- '; to add a key beside 'rules', indent it like 'rules'"
        + " (column 1), or like 'name' (column 5) to add a key to the item above"},
    {"a:\n    - x\n  y: 1", "3:3", "unexpected indentation: this line lines up with neither the list under 'a'"
        + " (line 2) (column 5) nor 'a' (column 1)"},
    {"r:\n    protocol: tcp\n   startPort: 1", "3:4", "unexpected indentation: this line lines up with neither"
        + " 'protocol' (column 5) nor 'r' (column 1)"},
    {"- name: a\n match: b", "2:2", "unexpected indentation: this line lines up with neither 'name' (column 3) nor"
        + " the '-' of its list item (column 1)"},
    {"-   - a\n  b", "2:3", "unexpected indentation: this line lines up with neither the nested list on line 1"
        + " (column 5) nor the '-' of its list item (column 1)"},
    {"- - a\n  b", "2:3", "this line is indented like the nested list on line 1 but does not start with '- '; to"
        + " start a new item, write '- ' in column 1"},
    {"a: 1\n  b: 2", "2:3", "unexpected indentation: 'a' on line 1 already has its value, which cannot continue on"
        + " the next line (keep it on one line, quoted if needed); to add a key beside 'a', indent it like 'a'"
        + " (column 1)"},
    {"a: 1\n- x", "2:1", "a list item cannot follow 'key: value' at the same indentation; put the list under its"
        + " own key"},
    {"  a: 1\nb: 2", "2:1", "this line is indented less than the first line of the policy (column 3); start all"
        + " top-level keys in the same column"},
    {"- a\nb", "2:1", "this line is indented like the list on line 1 but does not start with '- '"},
    {"version 1\nmode: x", "1:1", "expected 'key: value' here (a key needs a ':' and a space after it)"},
    {"{a: 1}\nb: 2", "2:1", "unexpected text after the document's value, which starts on line 1"},
    {"'a'\nb: 2", "2:1", "unexpected text after the document's value, which starts on line 1"},
    // a value on its key's line
    {"a: - x", "1:4", "a list cannot start on the same line as its key; put '- item' on the next lines, or write"
        + " [a, b]"},
    {"a: b: c", "1:4", "a map cannot start on the same line as its key; put it on the next lines, or write"
        + " { key: value } (quote the value if it contains ': ')"},
    {"a: \"x\" y", "1:8", "unexpected text after the value (quote values that contain ': ' or ' #')"},
    {"a: [1] 2", "1:8", "unexpected text after the value (quote values that contain ': ' or ' #')"},
    {"a: [1]#c", "1:7", "a comment needs a space before the '#'"},
    {"a: 'x'#c", "1:7", "a comment needs a space before the '#'"},
    {"a: @x", "1:4", "'@' cannot start a plain value; quote the value"},
    {"a: `x`", "1:4", "'`' cannot start a plain value; quote the value"},
    {"a: %x", "1:4", "'%' cannot start a plain value; quote the value"},
    {"a: ,x", "1:4", "unexpected ',' (quote the value if it starts with it)"},
    {"a: ]", "1:4", "unexpected ']' (quote the value if it starts with it)"},
    // flow collections
    {"a: [::1]", "1:5", "inside [ ] or { }, a value starting with ':' must be quoted: write \"::1\""},
    {"a: {x: :80}", "1:8", "inside [ ] or { }, a value starting with ':' must be quoted: write \":80\""},
    {"a: [1, , 2]", "1:8", "empty entry in a list (two commas in a row?)"},
    {"a: [,]", "1:5", "empty entry in a list (two commas in a row?)"},
    {"a: {x: 1,, y: 2}", "1:10", "empty entry in a map (two commas in a row?)"},
    {"a: [1, 2", "1:4", "this '[' is never closed with ']'"},
    {"a: {x: 1,\n  y: 2\n", "1:4", "this '{' is never closed with '}'"},
    {"a: [1,\n---\n]", "1:4", "this '[' is not closed before the '---' on line 2"},
    {"a: [x: 1]", "1:5", "'key: value' pairs inside [ ] are not supported; use { }"},
    {"a: [x}", "1:6", "expected ',' or ']' in the list opened on line 1 (this '}' closes nothing)"},
    {"a: [x y\n z]", "2:2", "expected ',' or ']' in the list opened on line 1"},
    {"a: {x: 1]", "1:9", "expected ',' or '}' in the map opened on line 1 (this ']' closes nothing)"},
    {"a: {x: 1 y: 2}", "1:11", "expected ',' or '}' in the map opened on line 1"},
    {"a: {x:1}", "1:5", "expected 'key: value' in the map opened on line 1 (a ':' needs a space after it)"},
    {"a: {x, y}", "1:5", "expected 'key: value' in the map opened on line 1"},
    {"a: [1,#c\n]", "1:7", "'#' cannot start a plain value; quote the value, or put a space before '#' to start a"
        + " comment"},
    // escapes
    {"a: \"\\q\"", "1:5", "unknown escape '\\q' in a double-quoted string (write \\\\ for a backslash, or use single"
        + " quotes)"},
    {"a: \"\\u12G4\"", "1:5", "the escape '\\u' needs 4 hexadecimal digits"},
    {"a: \"\\x4\"", "1:5", "the escape '\\x' needs 2 hexadecimal digits"},
    {"a: \"\\U00110000\"", "1:5", "the escape '\\U00110000' is beyond Unicode (at most \\U0010FFFF)"},
    {"a: \"\\L\"", "1:5", "the escape '\\L' is not supported in a policy (some YAML parsers do not know it); write"
        + " \\u2028"},
    {"a: \"\\\t\"", "1:5", "unknown escape '\\\t' in a double-quoted string (write \\\\ for a backslash, or use"
        + " single quotes)"},
    // characters YAML does not allow
    {"a: b\u0007", "1:5", "the non-printable character U+0007 is not allowed in YAML; inside double quotes write it as"
        + " \\u0007"},
    {"a: 1\nb: \u0000", "2:4", "the non-printable character U+0000 is not allowed in YAML; inside double quotes"
        + " write it as \\u0000"},
    {"a: \u0085\u009F", "1:5", "the non-printable character U+009F is not allowed in YAML; inside double quotes"
        + " write it as \\u009F"},
  };

  @TestFactory
  Stream<DynamicTest> refusesWithExactMessageAndPosition() {
    return Arrays.stream(REFUSES).map(c -> DynamicTest.dynamicTest(c[0].replace("\n", "\\n"), () -> {
      YamlException e = catchThrowableOfType(YamlException.class, () -> YamlReader.read(c[0]));
      assertThat(e).as("refusal of %s", c[0]).isNotNull();
      assertThat(e.line() + ":" + e.column() + " " + e.getMessage()).isEqualTo(c[1] + " " + c[2]);
    }));
  }

  @Test
  void nestingDeeperThan64LevelsIsRefusedWithoutAStackOverflow() {
    StringBuilder flow = new StringBuilder("a: ");
    for (int i = 0; i < 100000; i++) {
      flow.append('[');
    }
    assertRefused(flow.toString(), "1:67 lists and maps are nested more than 64 levels deep");
    StringBuilder block = new StringBuilder();
    for (int i = 0; i < 70; i++) {
      block.append(spaces(i)).append("k:\n");
    }
    block.append(spaces(70)).append("v\n");
    assertRefused(block.toString(), "65:65 lists and maps are nested more than 64 levels deep");
    StringBuilder list = new StringBuilder();
    for (int i = 0; i < 70; i++) {
      list.append("- ");
    }
    assertRefused(list + "x", "1:129 lists and maps are nested more than 64 levels deep");
  }

  @Test
  void documentsOver8MiBAreRefused() {
    char[] big = new char[YamlReader.MAX_CHARS + 1];
    Arrays.fill(big, '#');
    assertRefused(new String(big), "1:1 the document is larger than 8 MiB; a policy is a few kilobytes");
  }

  @Test
  void aliasBombsAreRefusedAtTheFirstAnchor() {
    StringBuilder sb = new StringBuilder("a: &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n");
    for (char c = 'b'; c <= 'i'; c++) {
      sb.append(c).append(": &").append(c).append(" [");
      for (int i = 0; i < 9; i++) {
        sb.append(i == 0 ? "" : ",").append('*').append((char) (c - 1));
      }
      sb.append("]\n");
    }
    assertRefused(sb.toString(), "1:4 anchors (&a) are not supported in a policy; write each value out in full");
  }

  private static void assertRefused(String yaml, String expected) {
    YamlException e = catchThrowableOfType(YamlException.class, () -> YamlReader.read(yaml));
    assertThat(e).isNotNull();
    assertThat(e.line() + ":" + e.column() + " " + e.getMessage()).isEqualTo(expected);
  }

  private static String spaces(int n) {
    char[] c = new char[n];
    Arrays.fill(c, ' ');
    return new String(c);
  }

  // ------------------------------------------------------------------------------------ the same as real YAML

  private static final Path VALID = Paths.get("src/test/resources/policies/valid");

  /** Every valid policy fixture reads to the same tree as with snakeyaml-engine. */
  @TestFactory
  Stream<DynamicTest> validFixturesReadAsSnakeyamlReadsThem() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(VALID)) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().collect(Collectors.toList());
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(10);
    return files.stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
      String text = new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
      assertThat(tree(YamlReader.read(text))).isEqualTo(snakeTree(text));
    }));
  }

  /** Every example this test reads, read by snakeyaml-engine, gives the same tree. */
  @TestFactory
  Stream<DynamicTest> everyAcceptedExampleReadsAsSnakeyamlReadsIt() {
    return Arrays.stream(READS).map(c -> DynamicTest.dynamicTest(c[0].replace("\n", "\\n"), () ->
        assertThat(snakeTree(c[0])).isEqualTo(c[1])));
  }

  /**
   * Generated documents in the subset (block and flow collections at random indentations, every scalar style,
   * comments and blank lines anywhere they may go) read the same with both readers.
   */
  @Test
  void generatedDocumentsReadAsSnakeyamlReadsThem() {
    Random random = new Random(20240611L);
    for (int i = 0; i < 1500; i++) {
      String doc = new Generator(random).document();
      String ours;
      try {
        ours = tree(YamlReader.read(doc));
      } catch (YamlException e) {
        throw new AssertionError("refused generated document " + i + " at " + e.line() + ":" + e.column() + ": "
            + e.getMessage() + "\n" + doc, e);
      }
      assertThat(ours).as("document %s:\n%s", i, doc).isEqualTo(snakeTree(doc));
    }
  }

  /** Writes random documents of the subset. */
  private static final class Generator {
    private static final String[] SCALARS = {"8080", "0", "-1", "+5", "0x1F90", "0o17", "1.5", "1e3", ".inf",
      "-.inf", ".nan", "true", "False", "TRUE", "null", "~", "yes", "on", "8000-8099", "a#b", "x # y", "a: b", "::1",
      "fe80::1%eth0", "10.0.0.0/8", "org.example.**", "**.Foo", "*", "it's", "say \"hi\"", "tab\there", "é ü",
      "日本",
      "a,b", "[x]", "{y}", " lead", "trail ", "back\\slash", "-dash", "- dash", "?q", "%p", "@at", "line\nbreak",
      "\u0007bell", "$var", "${HOME}", "web server", "tcp", "a:b", "x:", "#x", "&a", "!t", "|", ">", "'", "\"",
      "---", "...", "-", "?", ":", "é\u00A0"};
    private static final String[] KEYS = {"version", "mode", "a", "b c", "key-1", "8080", "true", "x.y", "a#b",
      "it's", "${x}", "~", "null key", "0x1F", "ü"};

    private final Random r;
    private final StringBuilder out = new StringBuilder();

    Generator(Random r) {
      this.r = r;
    }

    String document() {
      if (r.nextInt(10) == 0) {
        out.append(r.nextBoolean() ? "---\n" : "--- # start\n");
      }
      maybeComment(0);
      blockMap(0, 0);
      if (r.nextInt(10) == 0) {
        out.append("...\n");
      }
      return out.toString();
    }

    /** Entries at {@code indent}; the first key's indentation is already written. */
    private void blockMap(int indent, int depth) {
      List<String> keys = new ArrayList<>(Arrays.asList(KEYS));
      Collections.shuffle(keys, r);
      int n = 1 + r.nextInt(4);
      for (int i = 0; i < n; i++) {
        if (i > 0) {
          maybeComment(indent);
          out.append(spaces(indent));
        }
        out.append(scalar(keys.get(i), false, true)).append(r.nextInt(8) == 0 ? "  :" : ":");
        value(indent, depth, true);
      }
    }

    /** After "key:" or "-": the value, through the end of its last line. */
    private void value(int indent, int depth, boolean inMap) {
      int kind = depth >= 4 ? 0 : r.nextInt(10);
      if (kind < 5) {
        String s = SCALARS[r.nextInt(SCALARS.length)];
        out.append(r.nextBoolean() ? " " : "   ").append(scalar(s, false, false));
        endLine();
      } else if (kind == 5) {
        out.append(' ');
        flow(indent, depth + 1);
        endLine();
      } else if (kind == 6) {
        endLine();
      } else if (kind == 7 || !inMap) {
        endLine();
        maybeComment(indent + 1);
        int child = indent + 1 + r.nextInt(3);
        out.append(spaces(child));
        if (r.nextBoolean()) {
          blockMap(child, depth + 1);
        } else {
          blockList(child, depth + 1);
        }
      } else {
        endLine();
        int child = r.nextBoolean() ? indent : indent + 1 + r.nextInt(3);
        out.append(spaces(child));
        blockList(child, depth + 1);
      }
    }

    /** Items at {@code indent}; the first dash's indentation is already written. */
    private void blockList(int indent, int depth) {
      int n = 1 + r.nextInt(3);
      for (int i = 0; i < n; i++) {
        if (i > 0) {
          maybeComment(indent);
          out.append(spaces(indent));
        }
        out.append('-');
        int kind = depth >= 4 ? 0 : r.nextInt(4);
        if (kind == 1) {
          int gap = 1 + r.nextInt(3);
          out.append(spaces(gap));
          blockMap(indent + 1 + gap, depth + 1);
        } else if (kind == 2) {
          out.append(' ');
          blockList(indent + 2, depth + 1);
        } else {
          value(indent, depth, false);
        }
      }
    }

    private void flow(int indent, int depth) {
      boolean map = r.nextBoolean();
      out.append(map ? '{' : '[');
      int n = r.nextInt(4);
      for (int i = 0; i < n; i++) {
        if (i > 0) {
          out.append(',');
          if (r.nextInt(4) == 0) {
            if (r.nextBoolean()) {
              out.append(" # c");
            }
            out.append('\n').append(spaces(indent + 1 + r.nextInt(3)));
          } else {
            out.append(' ');
          }
        }
        if (map) {
          out.append(scalar(KEYS[r.nextInt(KEYS.length)] + i, true, true)).append(": "); // unique: i
        }
        if (depth < 4 && r.nextInt(6) == 0) {
          flow(indent, depth + 1);
        } else {
          out.append(scalar(SCALARS[r.nextInt(SCALARS.length)], true, false));
        }
      }
      if (n > 0 && r.nextInt(5) == 0) {
        out.append(',');
      }
      out.append(map ? '}' : ']');
    }

    private void endLine() {
      int k = r.nextInt(6);
      out.append(k == 0 ? " # comment" : k == 1 ? "  " : "").append('\n');
    }

    private void maybeComment(int indent) {
      int k = r.nextInt(8);
      if (k == 0) {
        out.append('\n');
      } else if (k == 1) {
        out.append(spaces(r.nextInt(indent + 3))).append("# a comment line\n");
      }
    }

    /** The scalar in a style that keeps its text: plain where the subset allows it, else quoted. */
    private String scalar(String s, boolean flow, boolean key) {
      int style = r.nextInt(3);
      if (style == 0 && plainOk(s, flow, key)) {
        return s;
      }
      if (style <= 1 && s.indexOf('\n') < 0 && s.indexOf('\u0007') < 0 && s.indexOf('\t') < 0) {
        return "'" + s.replace("'", "''") + "'";
      }
      StringBuilder sb = new StringBuilder("\"");
      for (char c : s.toCharArray()) {
        if (c == '"' || c == '\\') {
          sb.append('\\').append(c);
        } else if (c == '\n') {
          sb.append("\\n");
        } else if (c == '\t') {
          sb.append(r.nextBoolean() ? "\\t" : "\t");
        } else if (c < ' ' || c == '\u00A0') {
          sb.append(String.format("\\u%04x", (int) c));
        } else {
          sb.append(c);
        }
      }
      return sb.append('"').toString();
    }

    private static boolean plainOk(String s, boolean flow, boolean key) {
      if (s.isEmpty() || s.trim().length() != s.length() || s.indexOf('\n') >= 0 || s.indexOf('\t') >= 0
          || s.indexOf('\u0007') >= 0 || s.contains(": ") || s.contains(" #") || s.endsWith(":")) {
        return false;
      }
      char c = s.charAt(0);
      if ("#,[]{}&*!|>'\"%@`".indexOf(c) >= 0 || s.equals("---") || s.equals("...")) {
        return false;
      }
      if ((c == '-' || c == '?' || c == ':') && (s.length() == 1 || s.charAt(1) == ' ' || (flow && c == ':'))) {
        return false;
      }
      if (flow && (s.indexOf(',') >= 0 || s.indexOf('[') >= 0 || s.indexOf(']') >= 0 || s.indexOf('{') >= 0
          || s.indexOf('}') >= 0)) {
        return false;
      }
      return !(key && s.indexOf(':') >= 0);
    }
  }

  // ------------------------------------------------------------------------------------ trees

  static String tree(YamlNode n) {
    if (n == null) {
      return "null";
    }
    StringBuilder sb = new StringBuilder();
    if (n instanceof YamlNode.Mapping) {
      sb.append('{');
      for (YamlNode.Entry e : ((YamlNode.Mapping) n).entries()) {
        sb.append(sb.length() > 1 ? ", " : "").append(tree(e.key())).append(": ").append(tree(e.value()));
      }
      sb.append('}');
    } else if (n instanceof YamlNode.Sequence) {
      sb.append('[');
      for (YamlNode item : ((YamlNode.Sequence) n).items()) {
        sb.append(sb.length() > 1 ? ", " : "").append(tree(item));
      }
      sb.append(']');
    } else {
      YamlNode.Scalar s = (YamlNode.Scalar) n;
      sb.append(scalar(s.text(), s.type().name().toLowerCase(java.util.Locale.ROOT)));
    }
    return sb.append('@').append(n.line()).append(':').append(n.column()).toString();
  }

  private static String scalar(String text, String type) {
    StringBuilder sb = new StringBuilder("'");
    for (char c : text.toCharArray()) {
      if (c == '\n') {
        sb.append("\\n");
      } else if (c == '\t') {
        sb.append("\\t");
      } else if (c == '\r') {
        sb.append("\\r");
      } else if (c == '\f') {
        sb.append("\\f");
      } else if (c == '\b') {
        sb.append("\\b");
      } else if (c == '\\') {
        sb.append("\\\\");
      } else if (c < ' ') {
        sb.append(String.format("\\u%04X", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('\'').append(type.equals("string") ? "" : "/" + type).toString();
  }

  /** The tree snakeyaml-engine composes, printed like {@link #tree}. */
  static String snakeTree(String yaml) {
    Node root = FullYaml.compose(yaml);
    return root != null ? snakeTree(root) : "null";
  }

  private static String snakeTree(Node n) {
    StringBuilder sb = new StringBuilder();
    if (n instanceof MappingNode) {
      sb.append('{');
      for (NodeTuple t : ((MappingNode) n).getValue()) {
        sb.append(sb.length() > 1 ? ", " : "").append(snakeTree(t.getKeyNode())).append(": ")
            .append(snakeTree(t.getValueNode()));
      }
      sb.append('}');
    } else if (n instanceof SequenceNode) {
      sb.append('[');
      for (Node item : ((SequenceNode) n).getValue()) {
        sb.append(sb.length() > 1 ? ", " : "").append(snakeTree(item));
      }
      sb.append(']');
    } else {
      Tag tag = n.getTag();
      String type = Tag.INT.equals(tag) ? "integer" : Tag.FLOAT.equals(tag) ? "float" : Tag.BOOL.equals(tag)
          ? "boolean" : Tag.NULL.equals(tag) ? "null" : Tag.STR.equals(tag) || Tag.ENV_TAG.equals(tag) ? "string"
          : tag.getValue();
      sb.append(scalar(((ScalarNode) n).getValue(), type));
    }
    return sb.append('@').append(n.getStartMark().get().getLine() + 1).append(':')
        .append(n.getStartMark().get().getColumn() + 1).toString();
  }
}
