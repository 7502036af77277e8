package io.udsink.client;

/** Why a line was not delivered. Each is counted in {@link ClientStats}. */
public enum DropReason {
  /** The client's queue of datagrams was full (non-blocking), or stayed full past the timeout. */
  QUEUE_FULL,
  /** The collector's kernel queue was full: the send would have blocked (non-blocking mode). */
  WOULD_BLOCK,
  /** The collector was unavailable (no socket file, refused, stopped receiving). */
  COLLECTOR_UNAVAILABLE,
  /** The line alone is larger than the maximum datagram size. */
  OVERSIZE,
  /** The value was NaN or infinite, or the name empty. */
  INVALID,
  /** Emitted after {@code close()}, or still queued when close gave up. */
  CLOSED,
  /** The send failed for another reason (reported to the error handler). */
  SEND_ERROR
}
