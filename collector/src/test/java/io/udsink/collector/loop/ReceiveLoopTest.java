package io.udsink.collector.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.TestSupport;
import io.udsink.collector.transport.BoundSocket;
import io.udsink.collector.transport.SocketSpec;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReceiveLoopTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  @TempDir Path dir;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private List<BoundSocket> bind(String... names) {
    List<BoundSocket> list = new ArrayList<>();
    for (String n : names) {
      list.add(BoundSocket.bind(SocketSpec.parse(dir.resolve(n).toString()), 0600, false));
    }
    return list;
  }

  private AFUNIXDatagramChannel sender(String name, boolean blocking) throws Exception {
    AFUNIXDatagramChannel ch = TestSupport.connect(dir.resolve(name));
    ch.configureBlocking(blocking);
    closeables.add(ch);
    return ch;
  }

  private ReceiveLoop loop(List<BoundSocket> sockets, DatagramHandler h, int budget, int max)
      throws Exception {
    ReceiveLoop loop = ReceiveLoop.create(sockets, h, budget, max);
    closeables.add(loop);
    return loop;
  }

  @Test
  void shouldDrainAFullQueueInOneWakeUp() throws Exception {
    List<BoundSocket> sockets = bind("a");
    AFUNIXDatagramChannel tx = sender("a", false);
    int queued = 0;
    while (TestSupport.send(tx, "d" + queued) > 0) {
      queued++;
    }
    assertTrue(queued >= 2, "queue held " + queued);
    final int expected = queued;
    RecordingHandler h = new RecordingHandler(1, false);
    ReceiveLoop loop = loop(sockets, h, 64, 1024);
    loop.start();

    TestSupport.await("all queued datagrams", WAIT, () -> h.total.get() == expected);
    TestSupport.await("the loop to block again", WAIT, () -> loop.stats().blockingSelects() == 2);
    assertEquals(queued, h.total.get());
    // one blocking select woke it, one batch took the whole queue and, being short, ended the
    // burst without another receive; then it blocked again
    assertEquals(0, loop.stats().emptyReads());
    assertEquals(expected, loop.socketStats()[0].datagrams());
    assertEquals(2, loop.stats().blockingSelects());
  }

  @Test
  void shouldServeAnIdleSocketWithinOneBudgetOfAFloodedOne() throws Exception {
    int budget = 16;
    List<BoundSocket> sockets = bind("a", "b");
    AtomicLong handledA = new AtomicLong();
    AtomicLong aWhenB = new AtomicLong(-1);
    DatagramHandler h =
        (socket, datagram, cut) -> {
          if (socket == 0) {
            handledA.incrementAndGet();
            long until = System.nanoTime() + 20_000; // slower than the sender: A never runs dry
            while (System.nanoTime() < until) {
              Thread.onSpinWait();
            }
          } else {
            aWhenB.set(handledA.get());
          }
        };
    ReceiveLoop loop = loop(sockets, h, budget, 1024);
    loop.start();

    AFUNIXDatagramChannel floodA = sender("a", true);
    Thread flooder =
        new Thread(
            () -> {
              try {
                while (!Thread.currentThread().isInterrupted()) {
                  TestSupport.send(floodA, "flood");
                }
              } catch (Exception e) {
                // the loop stopped; done
              }
            });
    flooder.start();
    try {
      TestSupport.await("A to be flooded", WAIT, () -> handledA.get() > 2000);
      AFUNIXDatagramChannel txB = sender("b", true);
      TestSupport.send(txB, "b");
      long aAfterSend = handledA.get();
      TestSupport.await("B's datagram", WAIT, () -> aWhenB.get() >= 0);
      long waitedFor = aWhenB.get() - aAfterSend;
      assertTrue(
          waitedFor <= budget,
          "B waited for " + waitedFor + " of A's datagrams; budget is " + budget);
      assertTrue(loop.stats().nonBlockingSelects() > 0);
    } finally {
      flooder.interrupt();
      loop.close();
      flooder.join(10_000);
    }
  }

  @Test
  void shouldNotSpinWhenIdle() throws Exception {
    RecordingHandler h = new RecordingHandler(2, false);
    ReceiveLoop loop = loop(bind("a", "b"), h, 64, 1024);
    loop.start();
    AFUNIXDatagramChannel tx = sender("a", true);
    TestSupport.send(tx, "wake");
    TestSupport.await("the datagram", WAIT, () -> h.total.get() == 1);
    TestSupport.await("the loop to block", WAIT, () -> loop.stats().blockingSelects() == 2);
    long before = loop.stats().iterations();
    Thread.sleep(500); // measuring idleness over time: there is no condition to wait for
    long after = loop.stats().iterations();
    assertEquals(before, after, "the loop ran " + (after - before) + " passes while idle");
    assertEquals(2, loop.stats().blockingSelects());
  }

  @Test
  void shouldCutAndCountDatagramsLargerThanTheMaximum() throws Exception {
    RecordingHandler h = new RecordingHandler(1, true);
    ReceiveLoop loop = loop(bind("a"), h, 64, 10);
    loop.start();
    AFUNIXDatagramChannel tx = sender("a", true);
    TestSupport.send(tx, "0123456789"); // exactly the maximum: whole
    TestSupport.send(tx, "0123456789abcdef"); // longer: cut
    TestSupport.await("two datagrams", WAIT, () -> h.total.get() == 2);
    loop.close();
    assertEquals(List.of("0:0123456789", "0:0123456789"), h.texts);
    assertEquals(1, h.truncated.get());
    SocketStats s = loop.socketStats()[0];
    assertEquals(2, s.datagrams());
    assertEquals(1, s.truncated());
    assertEquals(20, s.bytes());
  }

  @Test
  void shouldDeliverZeroLengthDatagramsAndNotEndTheDrainOnThem() throws Exception {
    List<BoundSocket> sockets = bind("a");
    AFUNIXDatagramChannel tx = sender("a", false);
    TestSupport.send(tx, "first");
    TestSupport.sendEmpty(dir.resolve("a"));
    TestSupport.sendEmpty(dir.resolve("a"));
    TestSupport.send(tx, "last");
    RecordingHandler h = new RecordingHandler(1, true);
    ReceiveLoop loop = loop(sockets, h, 64, 1024);
    // never started: close() performs the stop, whose drain must read past the empty datagrams
    loop.close();
    assertEquals(List.of("0:first", "0:", "0:", "0:last"), h.texts);
    assertEquals(1, h.stops.get());
    assertEquals(4, h.totalAtStop);
  }

  @Test
  void shouldStopWithNothingLostAndRemoveTheFiles() throws Exception {
    List<BoundSocket> sockets = bind("a", "b");
    RecordingHandler h = new RecordingHandler(2, false);
    ReceiveLoop loop = loop(sockets, h, 64, 1024);
    Thread t = loop.start();
    AFUNIXDatagramChannel a = sender("a", true);
    AFUNIXDatagramChannel b = sender("b", true);
    for (int i = 0; i < 100; i++) {
      TestSupport.send(a, "a" + i);
      TestSupport.send(b, "b" + i);
    }
    loop.close();
    t.join(10_000);
    assertFalse(t.isAlive());
    assertEquals(100, h.perSocket.get(0));
    assertEquals(100, h.perSocket.get(1));
    assertEquals(200, h.totalAtStop, "the handler's stop ran before everything was delivered");
    assertFalse(Files.exists(dir.resolve("a"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(dir.resolve("b"), LinkOption.NOFOLLOW_LINKS));
    loop.close(); // idempotent
  }

  @Test
  void shouldKeepGoingWhenTheHandlerThrows() throws Exception {
    AtomicLong seen = new AtomicLong();
    DatagramHandler h =
        (socket, datagram, cut) -> {
          if (seen.incrementAndGet() % 2 == 0) {
            throw new IllegalStateException("bad datagram");
          }
        };
    ReceiveLoop loop = loop(bind("a"), h, 64, 1024);
    loop.start();
    AFUNIXDatagramChannel tx = sender("a", true);
    for (int i = 0; i < 10; i++) {
      TestSupport.send(tx, "x");
    }
    TestSupport.await("ten datagrams", WAIT, () -> seen.get() == 10);
    assertEquals(5, loop.stats().handlerErrors());
    loop.close();
    assertEquals(10, loop.socketStats()[0].datagrams());
  }

  @Test
  void shouldCallTheHandlersTimerWithoutTraffic() throws Exception {
    AtomicLong ticks = new AtomicLong();
    DatagramHandler h =
        new DatagramHandler() {
          @Override
          public void onDatagram(int socket, ByteBuffer datagram, boolean cut) {}

          @Override
          public long onTimer(long nowNs) {
            ticks.incrementAndGet();
            return nowNs + TimeUnit.MILLISECONDS.toNanos(20);
          }
        };
    ReceiveLoop loop = loop(bind("a"), h, 64, 1024);
    loop.start();
    TestSupport.await("five timer calls", WAIT, () -> ticks.get() >= 5);
  }

  @Test
  void shouldStopByItselfAfterItsTimeLimit() throws Exception {
    RecordingHandler h = new RecordingHandler(1, false);
    ReceiveLoop loop =
        new ReceiveLoop(
            bind("a"), h, 64, 1024, TimeUnit.MILLISECONDS.toNanos(100), System::nanoTime);
    closeables.add(loop);
    loop.start();
    assertTrue(loop.awaitTermination(10, TimeUnit.SECONDS));
    assertEquals(1, h.stops.get());
  }
}
