package io.portres.policy;

import java.io.Serializable;

/**
 * One error or warning found in a policy, tied to the place in the file that caused it.
 *
 * <p>{@link #toString()} gives the form {@code <file>:<line>:<col>: <path>: <message>}, e.g.
 * {@code policy.yaml:14:13: rules[0].match.port: 70000 is not a port (0-65535)}. Two parts are left out when
 * they do not apply: {@code :<line>:<col>} when {@link #line()} is 0 (a problem with the file as a whole, such
 * as {@code policy.yaml: cannot read policy: file not found}), and {@code <path>: } when {@link #path()} is
 * empty (a YAML syntax error, or a problem with the document as a whole).
 */
public final class Problem implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Errors make a policy unusable; warnings are returned with the loaded {@link Policy}. */
  public enum Severity {
    ERROR,
    WARNING
  }

  private final Severity severity;
  private final String file;
  private final int line;
  private final int column;
  private final String path;
  private final String message;

  /**
   * @param line 1-based, or 0 for the file as a whole
   * @param column 1-based, or 0 when {@code line} is 0
   * @param path e.g. {@code rules[2].match.class[1]}; empty for none
   */
  public Problem(Severity severity, String file, int line, int column, String path, String message) {
    this.severity = severity;
    this.file = file;
    this.line = line;
    this.column = column;
    this.path = path == null ? "" : path;
    this.message = message;
  }

  public Severity severity() {
    return severity;
  }

  /** The file name as the caller gave it (the {@code sourceName} of {@link PolicyLoader#parse}). */
  public String file() {
    return file;
  }

  /** 1-based line of the offending YAML node, or 0 for a problem with the file as a whole. */
  public int line() {
    return line;
  }

  /** 1-based column of the offending YAML node, or 0 when {@link #line()} is 0. */
  public int column() {
    return column;
  }

  /** Where in the policy, e.g. {@code reservations.rmi.count} or {@code rules[2].match.class[1]}; may be empty. */
  public String path() {
    return path;
  }

  /** What is wrong and, where it helps, how to fix it. */
  public String message() {
    return message;
  }

  /**
   * {@code <file>:<line>:<col>: <path>: <message>}; see the class comment for the shorter forms. Always one line
   * of printable text: control characters from the policy (a rule named {@code "x\n...\e[2K"}) are escaped, so a
   * problem can neither forge a second {@code file:line:col} line nor move a terminal's cursor.
   */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(file.length() + path.length() + message.length() + 16);
    escape(sb, file);
    if (line > 0) {
      sb.append(':').append(line).append(':').append(column);
    }
    sb.append(": ");
    if (!path.isEmpty()) {
      escape(sb, path).append(": ");
    }
    return escape(sb, message).toString();
  }

  /** {@code s} with every control character escaped (see {@link #escape(StringBuilder, String)}). */
  public static String escape(String s) {
    return escape(new StringBuilder(s.length() + 8), s).toString();
  }

  /**
   * Appends {@code s} as one line of printable text: the C0 and C1 control characters, DEL and the Unicode line and
   * paragraph separators and the bidirectional overrides become {@code \n}, {@code \r}, {@code \t}, {@code \e} or
   * {@code \}{@code uXXXX}; everything else is kept (non-ASCII letters,
   * and backslashes, which Windows paths are full of).
   */
  public static StringBuilder escape(StringBuilder sb, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\n') {
        sb.append("\\n");
      } else if (c == '\r') {
        sb.append("\\r");
      } else if (c == '\t') {
        sb.append("\\t");
      } else if (c == 0x1B) {
        sb.append("\\e");
      } else if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029
          || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069)) {
        sb.append("\\u").append(HEX[c >> 12 & 0xF]).append(HEX[c >> 8 & 0xF]).append(HEX[c >> 4 & 0xF])
            .append(HEX[c & 0xF]);
      } else {
        sb.append(c);
      }
    }
    return sb;
  }

  private static final char[] HEX = "0123456789abcdef".toCharArray();
}
