package io.udsink.client;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * The socket to the collector, owned by the client's thread: connect, send a datagram as the
 * mode says, and the outage state machine.
 *
 * <ul>
 *   <li>The channel is non-blocking. A full collector queue (EAGAIN) drops the datagram in
 *       {@link Mode#NON_BLOCKING}; {@link Mode#BLOCKING} and {@link Mode#RELIABLE} wait for the
 *       socket to become writable in a selector, which costs no CPU while the collector is
 *       frozen, up to the blocking timeout (reliable: until the close deadline).</li>
 *   <li>ECONNREFUSED, ENOENT, EPIPE: the collector is gone. The channel is closed (junixsocket
 *       closes the descriptor on those), the outage is reported once, and connects are tried
 *       again after a back-off that doubles up to the maximum. Reliable mode keeps the datagram
 *       and sends it once the collector is back: exactly once across a restart.</li>
 * </ul>
 */
final class Transport {
  private static final long SLICE_NS = TimeUnit.MILLISECONDS.toNanos(200);

  /** How a send ended. */
  enum Result {
    SENT,
    DROPPED
  }

  private final String path;
  private final SocketAddress address;
  private final Mode mode;
  private final int sendBufferSize;
  private final long blockingTimeoutNs;
  private final long initialBackoffNs;
  private final long maxBackoffNs;
  private final ClientErrorHandler handler;
  private final LongAdder[] drops;
  private final AtomicLong reconnects;

  private AFUNIXDatagramChannel channel;
  private Selector selector;
  private final ByteBuffer out;
  private boolean outage;
  private long outageStartNs;
  private long backoffNs;
  private long nextAttemptNs;

  /** Set while the collector is gone: emits outside reliable mode are dropped at the caller. */
  volatile boolean unavailable;

  /** When sends give up: set once the client closes. */
  volatile long closeDeadlineNs = Long.MAX_VALUE;

  Transport(
      String path,
      UdsinkClientBuilder b,
      int maxDatagram,
      LongAdder[] drops,
      AtomicLong reconnects) {
    this.path = path;
    this.address = address(path);
    this.mode = b.mode;
    this.sendBufferSize = b.sendBufferSize;
    this.blockingTimeoutNs = b.blockingTimeout.toNanos();
    this.initialBackoffNs = b.initialBackoff.toNanos();
    this.maxBackoffNs = b.maxBackoff.toNanos();
    this.backoffNs = initialBackoffNs;
    this.handler = b.errorHandler;
    this.drops = drops;
    this.reconnects = reconnects;
    this.out = ByteBuffer.allocateDirect(maxDatagram);
  }

  static SocketAddress address(String path) {
    try {
      return path.startsWith("@")
          ? AFUNIXSocketAddress.inAbstractNamespace(path.substring(1))
          : AFUNIXSocketAddress.of(java.nio.file.Path.of(path));
    } catch (IOException e) {
      throw new IllegalArgumentException("socket: " + path + ": " + e.getMessage(), e);
    }
  }

  /** When the next connect may be tried, while the collector is gone. */
  long nextAttemptNs() {
    return nextAttemptNs;
  }

  boolean connected() {
    return channel != null;
  }

  /**
   * Sends one datagram.
   *
   * @param buf the bytes
   * @param len how many
   * @param lines lines in it, counted as dropped by reason when it is not sent
   * @return whether the kernel took it
   */
  Result send(byte[] buf, int len, int lines) {
    long blockDeadline = 0;
    while (true) {
      long now = System.nanoTime();
      long deadlineNs = closeDeadlineNs;
      if (now >= deadlineNs) {
        drops[DropReason.CLOSED.ordinal()].add(lines);
        return Result.DROPPED;
      }
      if (channel == null) {
        if (now >= nextAttemptNs) {
          connect();
        }
        if (channel == null) {
          if (mode != Mode.RELIABLE) {
            drops[DropReason.COLLECTOR_UNAVAILABLE.ordinal()].add(lines);
            return Result.DROPPED;
          }
          java.util.concurrent.locks.LockSupport.parkNanos(
              Math.max(1, Math.min(Math.min(nextAttemptNs, deadlineNs) - now, SLICE_NS)));
          if (Thread.currentThread().isInterrupted()) {
            drops[DropReason.CLOSED.ordinal()].add(lines);
            return Result.DROPPED;
          }
          continue;
        }
      }
      out.clear();
      out.put(buf, 0, len).flip();
      try {
        if (channel.write(out) > 0) {
          if (outage) {
            recovered(now);
          }
          return Result.SENT;
        }
        // EAGAIN: the collector's queue is full
        if (mode == Mode.NON_BLOCKING) {
          drops[DropReason.WOULD_BLOCK.ordinal()].add(lines);
          return Result.DROPPED;
        }
        if (blockDeadline == 0) {
          blockDeadline = mode == Mode.BLOCKING ? now + blockingTimeoutNs : Long.MAX_VALUE;
        }
        // reliable: in slices, so that a close while the collector is frozen is seen
        long wait = Math.min(blockDeadline, deadlineNs) - now;
        if (mode == Mode.RELIABLE) {
          wait = Math.min(wait, SLICE_NS);
        }
        if (!awaitWritable(wait) && mode == Mode.BLOCKING && System.nanoTime() >= blockDeadline) {
          drops[DropReason.WOULD_BLOCK.ordinal()].add(lines);
          return Result.DROPPED;
        }
      } catch (IOException e) {
        CollectorUnavailableException u = CollectorUnavailableException.classify(path, e);
        if (u == null) {
          report(new IOException("sending to the collector at " + path + " failed: " + e, e));
          if (!channel.isOpen()) {
            close();
          }
          drops[DropReason.SEND_ERROR.ordinal()].add(lines);
          return Result.DROPPED;
        }
        close();
        enterOutage(u, now);
        if (mode != Mode.RELIABLE) {
          drops[DropReason.COLLECTOR_UNAVAILABLE.ordinal()].add(lines);
          return Result.DROPPED;
        }
      }
    }
  }

  /** Waits, without spinning, until the socket may take a datagram; false at the timeout. */
  private boolean awaitWritable(long timeoutNs) throws IOException {
    if (timeoutNs <= 0) {
      return false;
    }
    if (selector == null) {
      selector = channel.provider().openSelector();
      channel.register(selector, SelectionKey.OP_WRITE);
    }
    long ms = Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNs));
    int n = selector.select(ms);
    selector.selectedKeys().clear();
    return n > 0;
  }

  /** Connects (again); an absent collector enters or continues the outage. */
  void connect() {
    close();
    long now = System.nanoTime();
    AFUNIXDatagramChannel ch = null;
    try {
      ch = AFUNIXDatagramChannel.open();
      if (sendBufferSize > 0) {
        ch.setOption(java.net.StandardSocketOptions.SO_SNDBUF, sendBufferSize);
      }
      ch.connect(address);
      ch.configureBlocking(false);
      channel = ch;
      unavailable = false; // let traffic through; the outage ends with the first send that works
    } catch (IOException e) {
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // nothing more to do
        }
      }
      CollectorUnavailableException u = CollectorUnavailableException.classify(path, e);
      enterOutage(
          u != null
              ? u
              : new CollectorUnavailableException(
                  path, CollectorUnavailableException.Reason.REFUSED, e),
          now);
    }
  }

  private void enterOutage(CollectorUnavailableException u, long now) {
    unavailable = true;
    if (!outage) {
      outage = true;
      outageStartNs = now;
      backoffNs = initialBackoffNs;
      report(u);
    }
    nextAttemptNs = now + backoffNs;
    backoffNs = Math.min(backoffNs * 2, maxBackoffNs);
  }

  private void recovered(long now) {
    outage = false;
    unavailable = false;
    backoffNs = initialBackoffNs;
    reconnects.incrementAndGet();
    try {
      handler.onRecovered(path, Duration.ofNanos(now - outageStartNs));
    } catch (RuntimeException ignored) {
      // a handler's failure is not the client's
    }
  }

  void report(Exception e) {
    try {
      handler.onError(e);
    } catch (RuntimeException ignored) {
      // a handler's failure is not the client's
    }
  }

  /** Closes the channel (and its selector). */
  void close() {
    if (selector != null) {
      try {
        selector.close();
      } catch (IOException ignored) {
        // already gone
      }
      selector = null;
    }
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // already gone
      }
      channel = null;
    }
  }
}
