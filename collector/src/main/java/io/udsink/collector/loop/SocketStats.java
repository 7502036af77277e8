package io.udsink.collector.loop;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Counters of one socket. Written only by the loop's thread, once per turn; readable from any
 * thread.
 */
public final class SocketStats {
  private static final VarHandle LONG;

  static {
    try {
      LONG = MethodHandles.arrayElementVarHandle(long[].class);
    } catch (IllegalArgumentException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static final int DATAGRAMS = 0;
  private static final int BYTES = 1;
  private static final int TRUNCATED = 2;
  private static final int ERRORS = 3;

  private final String name;
  private final long[] values = new long[4];

  SocketStats(String name) {
    this.name = name;
  }

  void add(long datagrams, long bytes, long truncated) {
    LONG.setRelease(values, DATAGRAMS, values[DATAGRAMS] + datagrams);
    LONG.setRelease(values, BYTES, values[BYTES] + bytes);
    LONG.setRelease(values, TRUNCATED, values[TRUNCATED] + truncated);
  }

  void addError() {
    LONG.setRelease(values, ERRORS, values[ERRORS] + 1);
  }

  /** The socket's path or {@code @name}. */
  public String name() {
    return name;
  }

  /** Datagrams received, including zero-length and truncated ones. */
  public long datagrams() {
    return (long) LONG.getAcquire(values, DATAGRAMS);
  }

  /** Bytes received (of truncated datagrams, the bytes kept). */
  public long bytes() {
    return (long) LONG.getAcquire(values, BYTES);
  }

  /** Datagrams larger than the maximum, cut to it. */
  public long truncated() {
    return (long) LONG.getAcquire(values, TRUNCATED);
  }

  /** Receive errors reported by the kernel on this socket. */
  public long errors() {
    return (long) LONG.getAcquire(values, ERRORS);
  }
}
