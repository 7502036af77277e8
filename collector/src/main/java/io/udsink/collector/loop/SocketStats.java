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

  /** Queue depth seen by the receives since the last sample (loop thread only). */
  private int depthMax;

  private int depthLast;
  private volatile long sampled;

  SocketStats(String name) {
    this.name = name;
  }

  void add(long datagrams, long bytes, long truncated) {
    LONG.setRelease(values, DATAGRAMS, values[DATAGRAMS] + datagrams);
    LONG.setRelease(values, BYTES, values[BYTES] + bytes);
    LONG.setRelease(values, TRUNCATED, values[TRUNCATED] + truncated);
  }

  /**
   * One receive took {@code n} datagrams: each receive takes the whole queue up to the batch
   * size, so {@code n} is the queue's length at that moment (or at least it, for a full batch).
   */
  void depthSeen(int n) {
    depthLast = n;
    if (n > depthMax) {
      depthMax = n;
    }
  }

  /** Publishes the depth seen since the last sample (last and largest), and starts anew. */
  void sampleDepth() {
    sampled = ((long) depthMax << 32) | depthLast;
    depthMax = 0;
  }

  /**
   * The receive queue's length found by the last receive before the last flush, in datagrams.
   * The kernel reports no datagram count for AF_UNIX datagram sockets (sock_diag's
   * {@code UNIX_DIAG_RQLEN} is the length of the first datagram only), so this is taken from the
   * receives: each takes the whole queue, up to the batch size.
   */
  public int queueLast() {
    return (int) sampled;
  }

  /** The longest queue a receive found in the last flush interval, in datagrams. */
  public int queueMax() {
    return (int) (sampled >>> 32);
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
