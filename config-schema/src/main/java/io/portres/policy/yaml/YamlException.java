package io.portres.policy.yaml;

/** A document that is not in the policy subset of YAML, with the 1-based line and column of the problem. */
public final class YamlException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int line;
  private final int column;

  YamlException(int line, int column, String message) {
    super(message, null, false, false);
    this.line = line;
    this.column = column;
  }

  public int line() {
    return line;
  }

  public int column() {
    return column;
  }
}
