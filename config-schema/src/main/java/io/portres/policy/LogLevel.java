package io.portres.policy;

import java.util.Locale;

/** Threshold of the agent's own log, least to most verbose. */
public enum LogLevel {
  OFF, ERROR, WARN, INFO, DEBUG;

  /** The spelling used in policy files: the lower-case constant name. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Whether a message of {@code messageLevel} is written when this is the configured threshold. {@code OFF}
   * enables nothing, and a message level of {@code OFF} is never written.
   */
  public boolean enables(LogLevel messageLevel) {
    return this != OFF && messageLevel != OFF && messageLevel.ordinal() <= ordinal();
  }
}
