package io.udsink.collector;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

/**
 * Threads that send one line at a time on blocking, connected datagram sockets until stopped,
 * counting what the kernel accepted and keeping every error: the senders a restart must not
 * disturb.
 */
public final class BlockingSenders implements AutoCloseable {
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong longestStallNs = new AtomicLong();
  private final List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
  private volatile boolean stop;

  /**
   * Starts the senders.
   *
   * @param socket where to send
   * @param count how many threads
   * @param line what each datagram holds
   */
  public BlockingSenders(Path socket, int count, String line) throws Exception {
    byte[] b = line.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < count; i++) {
      AFUNIXDatagramChannel ch = TestSupport.connect(socket);
      Thread t =
          new Thread(
              () -> {
                ByteBuffer buf = ByteBuffer.wrap(b);
                try (ch) {
                  while (!stop) {
                    buf.rewind();
                    long t0 = System.nanoTime();
                    ch.write(buf);
                    long took = System.nanoTime() - t0;
                    longestStallNs.accumulateAndGet(took, Math::max);
                    sent.incrementAndGet();
                  }
                } catch (Throwable e) {
                  errors.add(e);
                }
              },
              "sender-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  /** Datagrams the kernel accepted so far. */
  public long sent() {
    return sent.get();
  }

  /** Every error a sender saw. */
  public List<Throwable> errors() {
    return List.copyOf(errors);
  }

  /** The longest single send, in milliseconds. */
  public double longestStallMs() {
    return longestStallNs.get() / 1e6;
  }

  /** Stops the senders after their current send and waits for them. */
  @Override
  public void close() {
    stop = true;
    try {
      for (Thread t : threads) {
        t.join(30_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
