package io.udsink.collector;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** Helpers for tests over real sockets: condition waits and senders. */
public final class TestSupport {
  private TestSupport() {}

  /**
   * Waits until the condition holds; fails after the timeout. Never a fixed sleep, and never a
   * busy loop: between checks it parks, from 50 µs doubling to 10 ms, so that on a machine of
   * two cores the thread it waits for keeps its core.
   */
  public static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = 50_000;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      java.util.concurrent.locks.LockSupport.parkNanos(pause);
      pause = Math.min(pause * 2, 10_000_000);
    }
  }

  /**
   * Asks again every {@code every} until the condition holds, for conditions that only another
   * process can answer (an HTTP query): no busy loop against it.
   */
  public static void poll(
      String what, Duration timeout, Duration every, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      java.util.concurrent.locks.LockSupport.parkNanos(every.toNanos());
    }
  }

  /** A sender connected to a socket path. */
  public static AFUNIXDatagramChannel connect(Path path) throws IOException {
    AFUNIXDatagramChannel ch = AFUNIXDatagramChannel.open();
    ch.connect(AFUNIXSocketAddress.of(path));
    return ch;
  }

  /** Sends a string on a connected channel; returns the bytes written (0 when the queue is full). */
  public static int send(AFUNIXDatagramChannel ch, String text) throws IOException {
    return ch.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * Sends a datagram on a connected non-blocking channel, waiting while the receiver's queue is
   * full: parked, not spinning, so that the receiver keeps the core it needs to drain it.
   *
   * @throws AssertionError when the queue stays full for 60 s (the receiver stopped reading)
   */
  public static void sendWaiting(AFUNIXDatagramChannel ch, ByteBuffer datagram) throws IOException {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    long pause = 10_000;
    while (ch.write(datagram) == 0) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the receiver stopped reading");
      }
      java.util.concurrent.locks.LockSupport.parkNanos(pause);
      pause = Math.min(pause * 2, 1_000_000);
    }
  }

  /** As {@link #sendWaiting(AFUNIXDatagramChannel, ByteBuffer)}, for text. */
  public static void sendWaiting(AFUNIXDatagramChannel ch, String text) throws IOException {
    sendWaiting(ch, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * Sends a zero-length datagram to a socket (junixsocket's write() skips empty buffers), from a
   * socket of its own.
   */
  public static void sendEmpty(Path socket) throws IOException {
    io.udsink.collector.sys.Sockets.sendDatagram(socket.toString(), new byte[0], 5000);
  }

  /**
   * Receives one datagram from a bound socket without waiting.
   *
   * @return its length, or -1 when the queue is empty
   */
  public static int receiveOne(io.udsink.collector.transport.BoundSocket s) throws IOException {
    try (io.udsink.collector.sys.BatchReceiver r =
        new io.udsink.collector.sys.BatchReceiver(1, 1024)) {
      return s.receive(r, 1) == 0 ? -1 : r.length(0);
    }
  }
}
