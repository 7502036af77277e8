package io.udsink.collector.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.TestSupport;
import io.udsink.collector.transport.BoundSocket;
import io.udsink.collector.transport.SocketSpec;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

/**
 * The loop driven one pass at a time on the test's own thread, with a clock the test moves: no
 * thread, no wall time. Every socket has datagrams queued before a pass, so no pass waits.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReceiveLoopDriveTest {
  @TempDir Path dir;

  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private BoundSocket bind(String name) {
    return BoundSocket.bind(SocketSpec.parse(dir.resolve(name).toString()), 0600, false);
  }

  private AFUNIXDatagramChannel sender(String name) throws Exception {
    AFUNIXDatagramChannel ch = TestSupport.connect(dir.resolve(name));
    ch.configureBlocking(false);
    closeables.add(ch);
    return ch;
  }

  /** A handler that records what arrived from which socket, and its timer calls. */
  private static final class Recorder implements DatagramHandler {
    final List<String> seen = new ArrayList<>();
    final List<Long> timers = new ArrayList<>();
    final long everyNs;

    Recorder(long everyNs) {
      this.everyNs = everyNs;
    }

    @Override
    public void onDatagram(int socket, ByteBuffer datagram, boolean truncated) {
      seen.add(socket + ":" + java.nio.charset.StandardCharsets.UTF_8.decode(datagram));
    }

    @Override
    public long onTimer(long nowNs) {
      timers.add(nowNs);
      return nowNs + everyNs;
    }
  }

  @Test
  void shouldServeEachSocketUpToItsBudgetPerPassAndRotate() throws Exception {
    Recorder h = new Recorder(TimeUnit.SECONDS.toNanos(10));
    ReceiveLoop loop =
        new ReceiveLoop(List.of(bind("a"), bind("b")), h, 4, 256, Long.MAX_VALUE, clock::get);
    closeables.add(loop);
    AFUNIXDatagramChannel a = sender("a");
    AFUNIXDatagramChannel b = sender("b");
    for (int i = 0; i < 10; i++) {
      assertTrue(TestSupport.send(a, "a" + i) > 0);
    }
    for (int i = 0; i < 3; i++) {
      assertTrue(TestSupport.send(b, "b" + i) > 0);
    }
    int first = loop.doWork();
    // one pass: a gives its budget of 4 and stays queued, b is drained (a short batch); the
    // order between sockets is the selector's
    assertEquals(7, first, h.seen.toString());
    assertEquals(
        List.of("0:a0", "0:a1", "0:a2", "0:a3"),
        h.seen.stream().filter(x -> x.startsWith("0:")).toList());
    assertEquals(
        List.of("1:b0", "1:b1", "1:b2"), h.seen.stream().filter(x -> x.startsWith("1:")).toList());
    assertEquals(4, loop.doWork(), "a again, its budget");
    assertEquals(2, loop.doWork(), "the rest of a, then a short batch ends its turn");
    assertEquals(13, h.seen.size());
    assertEquals(List.of("0:a4", "0:a5", "0:a6", "0:a7", "0:a8", "0:a9"), h.seen.subList(7, 13));
    assertEquals(0, loop.stats().emptyReads(), "no receive came back empty: batches were short");
    assertEquals(List.of(1_000_000_000L), h.timers, "the first timer, at start");
  }

  @Test
  void shouldRunTheTimerAndStopAtTheDurationByTheLoopsClock() throws Exception {
    Recorder h = new Recorder(TimeUnit.SECONDS.toNanos(10));
    ReceiveLoop loop =
        new ReceiveLoop(List.of(bind("t")), h, 64, 256, TimeUnit.SECONDS.toNanos(25), clock::get);
    closeables.add(loop);
    AFUNIXDatagramChannel t = sender("t");
    TestSupport.send(t, "x");
    assertEquals(1, loop.doWork()); // the first pass also makes the handler's first timer call
    clock.addAndGet(TimeUnit.SECONDS.toNanos(10)); // the flush is due
    TestSupport.send(t, "y");
    assertEquals(1, loop.doWork());
    assertEquals(2, h.timers.size(), "the timer ran when the clock reached its deadline");
    clock.addAndGet(TimeUnit.SECONDS.toNanos(16)); // past the 25 s duration
    TestSupport.send(t, "z");
    assertEquals(0, loop.doWork(), "the duration passed: the pass only asks for the stop");
    loop.close(); // the stop drains what is queued
    assertEquals(List.of("0:x", "0:y", "0:z"), h.seen);
  }
}
