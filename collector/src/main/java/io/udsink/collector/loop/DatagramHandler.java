package io.udsink.collector.loop;

import java.nio.ByteBuffer;

/**
 * What the receive loop does with each datagram. Every method runs on the loop's thread; none may
 * block on I/O, since the loop serves every socket with one thread. A handler may make the loop
 * wait for the threads it hands datagrams to: the loop then reads nothing, and the sockets' queues
 * hold senders back.
 */
public interface DatagramHandler {
  /** Returned by {@link #onTimer} when the handler wants no timer. */
  long NO_DEADLINE = Long.MAX_VALUE;

  /**
   * One datagram. The buffer is the loop's own and is reused as soon as this returns: copy what
   * must outlive the call.
   *
   * @param socket index of the socket it arrived on, in the order the loop was given them
   * @param datagram its bytes, from position 0 to the limit (a zero-length datagram is empty)
   * @param truncated true when the datagram was larger than the maximum and was cut
   */
  void onDatagram(int socket, ByteBuffer datagram, boolean truncated);

  /**
   * One datagram with its sender's credentials, as the kernel attached them; by default
   * {@link #onDatagram(int, ByteBuffer, boolean)}. Each credential is {@code -1} when the
   * datagram carried none (it was queued before the socket asked for them).
   *
   * @param socket index of the socket it arrived on
   * @param datagram its bytes, from position 0 to the limit; a view valid only during the call
   * @param truncated true when the datagram was larger than the maximum and was cut
   * @param pid the sending process (0 when it is in another pid namespace)
   * @param uid the sender's user
   * @param gid the sender's group
   */
  default void onDatagram(
      int socket, ByteBuffer datagram, boolean truncated, int pid, int uid, int gid) {
    onDatagram(socket, datagram, truncated);
  }

  /**
   * Called after the datagrams of one receive (one {@code recvmmsg(2)}) have been handed over:
   * a handler that passes datagrams on in batches may end one here.
   */
  default void onBatchEnd() {}

  /**
   * Called once before the first receive and then whenever the deadline it returned has passed.
   *
   * @param nowNs {@link System#nanoTime()} now
   * @return the next deadline in the same clock, or {@link #NO_DEADLINE}
   */
  default long onTimer(long nowNs) {
    return NO_DEADLINE;
  }

  /**
   * Called once after the stop has drained every socket: everything that will ever arrive has
   * been passed to {@link #onDatagram}. A metrics handler flushes here.
   */
  default void onStop() {}
}
