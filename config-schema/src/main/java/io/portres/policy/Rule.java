package io.portres.policy;

/**
 * One entry of the policy's ordered {@code rules} list. A bind matches when every condition that is set matches:
 * {@link #protocol()}, {@link #ports()} (if not null), {@link #address()} and {@link #classes()} (if not null).
 */
public final class Rule {
  private final int index;
  private final String name;
  private final Reservation reservation;
  private final Protocol protocol;
  private final PortSet ports;
  private final AddressMatcher address;
  private final ClassMatcher classes;
  private final OnError onError;
  private final boolean implicit;
  private final int line;

  Rule(int index, String name, Reservation reservation, Protocol protocol, PortSet ports, AddressMatcher address,
      ClassMatcher classes, OnError onError, boolean implicit, int line) {
    this.index = index;
    this.name = name;
    this.reservation = reservation;
    this.protocol = protocol;
    this.ports = ports;
    this.address = address;
    this.classes = classes;
    this.onError = onError;
    this.implicit = implicit;
    this.line = line;
  }

  /** 0-based position in the rules list. */
  public int index() {
    return index;
  }

  public String name() {
    return name;
  }

  public Reservation reservation() {
    return reservation;
  }

  /** {@code match.protocol}, or the reservation's protocol when not given. */
  public Protocol protocol() {
    return protocol;
  }

  /** Requested ports this rule matches (port 0 = wildcard/ephemeral binds); {@code null} = any port. */
  public PortSet ports() {
    return ports;
  }

  /** Requested local address condition; {@link AddressMatcher#ANY} when not given. Never null. */
  public AddressMatcher address() {
    return address;
  }

  /** Calling-class condition; {@code null} = no class condition. */
  public ClassMatcher classes() {
    return classes;
  }

  /** The rule's own {@code onError}, or {@code null} to use the policy default. */
  public OnError onError() {
    return onError;
  }

  public OnError effectiveOnError(OnError policyDefault) {
    return onError != null ? onError : policyDefault;
  }

  /** Whether TCP client sockets that connect without binding first also match. */
  public boolean implicit() {
    return implicit;
  }

  /** 1-based line where the rule starts in the policy file. */
  public int line() {
    return line;
  }

  @Override
  public String toString() {
    return "rule '" + name + "' -> " + reservation.name();
  }
}
