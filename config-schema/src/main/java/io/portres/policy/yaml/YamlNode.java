package io.portres.policy.yaml;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;

/** A node of a policy document, with the 1-based line and column where it starts. Immutable once read. */
public abstract class YamlNode {

  private final int line;
  private final int column;

  YamlNode(int line, int column) {
    this.line = line;
    this.column = column;
  }

  public final int line() {
    return line;
  }

  public final int column() {
    return column;
  }

  /** A block or flow mapping; keys are scalars, unique, in document order. */
  public static final class Mapping extends YamlNode {
    private final List<Entry> entries = new ArrayList<Entry>();
    /** Entries by key once the map is large enough for a linear search to matter. */
    private HashMap<String, Entry> index;

    Mapping(int line, int column) {
      super(line, column);
    }

    public List<Entry> entries() {
      return Collections.unmodifiableList(entries);
    }

    void add(Entry e) {
      entries.add(e);
      if (index != null) {
        index.put(e.key().identity(), e);
      } else if (entries.size() > 8) {
        index = new HashMap<String, Entry>();
        for (Entry x : entries) {
          index.put(x.key().identity(), x);
        }
      }
    }

    /** The entry whose key has the text {@code key} and reads as a string (quoted, or plain and typed a string). */
    public Entry get(String key) {
      return byValue("s" + key);
    }

    /**
     * The entry whose key is equal to {@code key} as YAML compares keys: by value after typing, so {@code 0x10}
     * equals {@code 16}, {@code True} equals {@code true}, but {@code "16"} (a string) does not equal {@code 16}.
     */
    Entry same(Scalar key) {
      return byValue(key.identity());
    }

    private Entry byValue(String identity) {
      if (index != null) {
        return index.get(identity);
      }
      for (Entry e : entries) {
        if (e.key().identity().equals(identity)) {
          return e;
        }
      }
      return null;
    }
  }

  public static final class Entry {
    private final Scalar key;
    private final YamlNode value;

    Entry(Scalar key, YamlNode value) {
      this.key = key;
      this.value = value;
    }

    public Scalar key() {
      return key;
    }

    public YamlNode value() {
      return value;
    }
  }

  /** A block or flow sequence. */
  public static final class Sequence extends YamlNode {
    private final List<YamlNode> items = new ArrayList<YamlNode>();

    Sequence(int line, int column) {
      super(line, column);
    }

    public List<YamlNode> items() {
      return Collections.unmodifiableList(items);
    }

    void add(YamlNode n) {
      items.add(n);
    }
  }

  /**
   * A scalar. Its type follows the YAML 1.2 core schema, as any YAML tool reads it: a plain {@code 8080},
   * {@code -1}, {@code 0x1F90} or {@code 0o17} is an integer, a quoted {@code "8080"} a string; plain
   * {@code true}/{@code True}/{@code TRUE} and the three spellings of false are booleans; plain {@code null},
   * {@code Null}, {@code NULL}, {@code ~} or nothing at all is null; {@code 1.5}, {@code 1e3}, {@code .inf} and
   * {@code .nan} are floats. Everything else, {@code yes}, {@code on} and {@code 8000-8099} included, is a string.
   */
  public static final class Scalar extends YamlNode {
    /** The core-schema type of a scalar. */
    public enum Type { STRING, INTEGER, BOOLEAN, NULL, FLOAT }

    private final String text;
    private final boolean quoted;
    private final Type type;

    Scalar(int line, int column, String text, boolean quoted) {
      super(line, column);
      this.text = text;
      this.quoted = quoted;
      this.type = quoted ? Type.STRING : resolve(text);
    }

    /** The scalar's value as written (quotes removed, escapes applied). */
    public String text() {
      return text;
    }

    public boolean quoted() {
      return quoted;
    }

    public Type type() {
      return type;
    }

    public boolean isNull() {
      return type == Type.NULL;
    }

    /**
     * The scalar's value as the core schema reads it, as a string that is equal for equal values: a type letter and
     * a canonical form ({@code 0x10}, {@code 0o20}, {@code +16} and {@code 16} are all {@code i16}).
     */
    String identity() {
      switch (type) {
        case NULL:
          return "n";
        case BOOLEAN:
          return "b" + text.toLowerCase(java.util.Locale.ROOT);
        case INTEGER: {
          String t = text;
          boolean negative = t.startsWith("-");
          if (t.startsWith("-") || t.startsWith("+")) {
            t = t.substring(1);
          }
          java.math.BigInteger v = t.startsWith("0x") ? new java.math.BigInteger(t.substring(2), 16)
              : t.startsWith("0o") ? new java.math.BigInteger(t.substring(2), 8) : new java.math.BigInteger(t);
          return "i" + (negative ? v.negate() : v);
        }
        case FLOAT: {
          String t = text.toLowerCase(java.util.Locale.ROOT);
          double d = t.endsWith(".nan") ? Double.NaN : t.endsWith(".inf") ? (t.startsWith("-")
              ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY) : Double.parseDouble(t);
          return "f" + d;
        }
        default:
          return "s" + text;
      }
    }

    static Type resolve(String s) {
      int n = s.length();
      if (n == 0 || s.equals("~") || s.equals("null") || s.equals("Null") || s.equals("NULL")) {
        return Type.NULL;
      }
      if (s.equals("true") || s.equals("True") || s.equals("TRUE") || s.equals("false") || s.equals("False")
          || s.equals("FALSE")) {
        return Type.BOOLEAN;
      }
      if (n > 2 && s.charAt(0) == '0' && (s.charAt(1) == 'x' || s.charAt(1) == 'o')) {
        int radix = s.charAt(1) == 'x' ? 16 : 8;
        int k = 2;
        while (k < n && digit(s.charAt(k), radix)) {
          k++;
        }
        if (k == n) {
          return Type.INTEGER;
        }
      }
      int i = s.charAt(0) == '-' || s.charAt(0) == '+' ? 1 : 0;
      int k = i;
      while (k < n && digit(s.charAt(k), 10)) {
        k++;
      }
      if (k == n && k > i) {
        return Type.INTEGER;
      }
      if (isFloat(s, i) || s.equals(".nan") || s.equals(".NaN") || s.equals(".NAN")) {
        return Type.FLOAT;
      }
      String rest = s.substring(i);
      return rest.equals(".inf") || rest.equals(".Inf") || rest.equals(".INF") ? Type.FLOAT : Type.STRING;
    }

    private static boolean digit(char c, int radix) {
      return radix == 16 ? (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
          : c >= '0' && c < '0' + radix;
    }

    /** {@code (\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?} from index i (integers are already ruled out). */
    private static boolean isFloat(String s, int i) {
      int n = s.length();
      int k = i;
      while (k < n && digit(s.charAt(k), 10)) {
        k++;
      }
      boolean digits = k > i;
      if (k < n && s.charAt(k) == '.') {
        int f = ++k;
        while (k < n && digit(s.charAt(k), 10)) {
          k++;
        }
        digits |= k > f;
      }
      if (!digits) {
        return false;
      }
      if (k < n && (s.charAt(k) == 'e' || s.charAt(k) == 'E')) {
        k++;
        if (k < n && (s.charAt(k) == '+' || s.charAt(k) == '-')) {
          k++;
        }
        int e = k;
        while (k < n && digit(s.charAt(k), 10)) {
          k++;
        }
        if (k == e) {
          return false;
        }
      }
      return k == n;
    }
  }
}
