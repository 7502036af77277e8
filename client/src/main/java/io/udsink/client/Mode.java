package io.udsink.client;

/** How a client behaves when the collector is slow or gone. */
public enum Mode {
  /**
   * The default. The calling thread never waits on I/O: a full client queue, a full kernel queue
   * (the send would block) or a missing collector drops the line and counts it.
   */
  NON_BLOCKING,
  /**
   * A full client queue makes the calling thread wait for room, up to the blocking timeout; the
   * sender thread waits for room in the kernel's queue. A missing collector still drops.
   */
  BLOCKING,
  /**
   * Blocking, and a datagram the collector provably did not receive (the kernel refused it with
   * ENOENT, ECONNREFUSED or EPIPE before queuing anything) is kept and sent again once the
   * collector is back, so that a collector restart loses nothing and counts nothing twice. What
   * is kept is bounded by the queue capacity; beyond it callers wait, then drop and count.
   */
  RELIABLE
}
