package io.portres.policy;

import java.nio.file.Path;

/** The policy's {@code log} section. Paths are already resolved against the policy file's directory. */
public final class LogSettings {
  static final LogSettings DEFAULT = new LogSettings(LogLevel.INFO, null, null);

  private final LogLevel level;
  private final Path file;
  private final Path events;

  LogSettings(LogLevel level, Path file, Path events) {
    this.level = level;
    this.file = file;
    this.events = events;
  }

  /** Threshold of the agent's own log; default {@link LogLevel#INFO}. */
  public LogLevel level() {
    return level;
  }

  /** Where the agent's own log goes; {@code null} means standard error. */
  public Path file() {
    return file;
  }

  /** JSON-lines decision log, one object per matched bind; {@code null} means off. */
  public Path events() {
    return events;
  }

  @Override
  public String toString() {
    return "log{level=" + level.id() + ", file=" + file + ", events=" + events + "}";
  }
}
