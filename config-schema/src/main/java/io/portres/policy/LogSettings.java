package io.portres.policy;

import java.nio.file.Path;

/** The policy's {@code log} section. Paths are already resolved against the policy file's directory. */
public final class LogSettings {
  /** Default {@code maxSize}: 64 MiB. */
  public static final long DEFAULT_MAX_SIZE = 64L << 20;
  /** Default {@code keep}: 3 old files. */
  public static final int DEFAULT_KEEP = 3;
  static final long MIN_MAX_SIZE = 64L << 10;
  static final int MAX_KEEP = 100;
  static final LogSettings DEFAULT = new LogSettings(LogLevel.INFO, null, null, DEFAULT_MAX_SIZE, DEFAULT_KEEP);

  private final LogLevel level;
  private final Path file;
  private final Path events;
  private final long maxSize;
  private final int keep;

  LogSettings(LogLevel level, Path file, Path events, long maxSize, int keep) {
    this.level = level;
    this.file = file;
    this.events = events;
    this.maxSize = maxSize;
    this.keep = keep;
  }

  /**
   * Size at which {@link #file()} and {@link #events()} are rotated ({@code events.jsonl} becomes
   * {@code events.jsonl.1}, and so on); 0: never. Default {@link #DEFAULT_MAX_SIZE}.
   */
  public long maxSize() {
    return maxSize;
  }

  /** How many rotated files are kept ({@code .1} to {@code .<keep>}); default {@link #DEFAULT_KEEP}. */
  public int keep() {
    return keep;
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
    return "log{level=" + level.id() + ", file=" + file + ", events=" + events + ", maxSize=" + maxSize + ", keep="
        + keep + "}";
  }
}
