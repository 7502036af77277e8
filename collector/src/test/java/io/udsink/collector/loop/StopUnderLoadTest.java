package io.udsink.collector.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.client.CollectorUnavailableException;
import io.udsink.collector.TestSupport;
import io.udsink.collector.transport.BoundSocket;
import io.udsink.collector.transport.SocketSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

/**
 * The failure this project exists to prevent: a receiver stopped while senders are still sending
 * must count every datagram whose send succeeded, and every later send must fail loudly.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StopUnderLoadTest {
  private static final int SENDERS = 3;
  @TempDir Path dir;

  static final class Sender extends Thread {
    final AFUNIXDatagramChannel channel;
    final AtomicLong sent = new AtomicLong();
    final AtomicLong full = new AtomicLong();
    final AtomicReference<Exception> failure = new AtomicReference<>();

    Sender(AFUNIXDatagramChannel channel, int id) {
      super("sender-" + id);
      this.channel = channel;
    }

    @Override
    public void run() {
      try {
        while (true) {
          if (TestSupport.send(channel, "load:1|c") > 0) {
            sent.incrementAndGet();
          } else {
            full.incrementAndGet(); // queue full: not sent, not counted
            Thread.yield();
          }
        }
      } catch (Exception e) {
        failure.set(e);
      }
    }
  }

  @RepeatedTest(20)
  void shouldCountEverySuccessfulSendWhenStoppedUnderLoad() throws Exception {
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    List<BoundSocket> sockets =
        List.of(
            BoundSocket.bind(SocketSpec.parse(a.toString()), 0600, false),
            BoundSocket.bind(SocketSpec.parse(b.toString()), 0600, false));
    RecordingHandler h = new RecordingHandler(2, false);
    ReceiveLoop loop = ReceiveLoop.create(sockets, h, 16, 1024);
    Thread loopThread = loop.start();

    List<Sender> senders = new ArrayList<>();
    for (int i = 0; i < SENDERS; i++) {
      AFUNIXDatagramChannel ch = TestSupport.connect(i % 2 == 0 ? a : b);
      ch.configureBlocking(false);
      senders.add(new Sender(ch, i));
    }
    senders.forEach(Thread::start);
    TestSupport.await("traffic", Duration.ofSeconds(10), () -> h.total.get() > 3000);
    for (Sender s : senders) {
      assertTrue(s.isAlive(), "senders must still be sending when the stop begins");
    }

    loop.close();
    loopThread.join(10_000);
    long sent = 0;
    for (Sender s : senders) {
      s.join(10_000);
      sent += s.sent.get();
      Exception e = s.failure.get();
      assertNotNull(e, s.getName() + " ended without an error");
      assertNotNull(
          CollectorUnavailableException.classify("p", e),
          s.getName() + " failed with something other than the collector going away: " + e);
      s.channel.close();
    }
    assertEquals(sent, h.total.get(), "datagrams lost at stop");
    assertEquals(sent, h.totalAtStop);

    // and a send after the stop fails with an error, never silently
    for (Path p : List.of(a, b)) {
      Exception e =
          assertThrows(
              Exception.class,
              () -> {
                try (AFUNIXDatagramChannel late = TestSupport.connect(p)) {
                  TestSupport.send(late, "late:1|c");
                }
              });
      assertNotNull(CollectorUnavailableException.classify(p.toString(), e), e.toString());
    }
  }
}
