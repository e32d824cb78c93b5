package io.portres.policy;

/** One named port block from the policy's {@code reservations} section. */
public final class Reservation {
  private final String name;
  private final Protocol protocol;
  private final int startPort;
  private final int count;
  private final ReservationKind kind;
  private final boolean hasToken;
  private final long token;
  private final boolean create;
  private final int line;

  Reservation(String name, Protocol protocol, int startPort, int count, ReservationKind kind, boolean hasToken,
      long token, boolean create, int line) {
    this.name = name;
    this.protocol = protocol;
    this.startPort = startPort;
    this.count = count;
    this.kind = kind;
    this.hasToken = hasToken;
    this.token = token;
    this.create = create;
    this.line = line;
  }

  public String name() {
    return name;
  }

  public Protocol protocol() {
    return protocol;
  }

  /** First port of the block, 1-65535; 0 only for a runtime reservation that takes any free block. */
  public int startPort() {
    return startPort;
  }

  /** Number of ports in the block, 1-65535. */
  public int count() {
    return count;
  }

  /** {@code startPort + count - 1}, or -1 when {@link #startPort()} is 0. */
  public int endPort() {
    return startPort == 0 ? -1 : startPort + count - 1;
  }

  public ReservationKind kind() {
    return kind;
  }

  /** Whether the policy gave a literal token (persistent reservations only). */
  public boolean hasToken() {
    return hasToken;
  }

  /** The literal token as an unsigned 64-bit value; 0 when {@link #hasToken()} is false. */
  public long token() {
    return token;
  }

  /** Persistent only: create the reservation at start-up if it does not exist. */
  public boolean create() {
    return create;
  }

  /** Whether {@code port} lies in this block; always false when the block is not fixed ({@code startPort 0}). */
  public boolean contains(int port) {
    return startPort != 0 && port >= startPort && port < startPort + count;
  }

  /** For messages: {@code "tcp 50000-50099"}, {@code "tcp 8080"} or {@code "tcp any 100-port block"}. */
  public String describe() {
    if (startPort == 0) {
      return protocol.id() + " any " + count + "-port block";
    }
    return count == 1 ? protocol.id() + " " + startPort : protocol.id() + " " + startPort + "-" + endPort();
  }

  /** 1-based line of the reservation's name in the policy file. */
  public int line() {
    return line;
  }

  @Override
  public String toString() {
    return "reservation '" + name + "' (" + describe() + ", " + kind.id() + ")";
  }
}
