package io.udsink.collector.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.TestSupport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SocketsTest {
  @TempDir Path dir;

  @Test
  void shouldSendADatagramToAPathAndToAnAbstractName() throws Exception {
    Path p = dir.resolve("n");
    String name = "udsink-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    try (AFUNIXDatagramChannel rx = AFUNIXDatagramChannel.open();
        AFUNIXDatagramChannel arx = AFUNIXDatagramChannel.open()) {
      rx.bind(AFUNIXSocketAddress.of(p));
      arx.bind(AFUNIXSocketAddress.inAbstractNamespace(name));
      Sockets.sendDatagram(p.toString(), "READY=1".getBytes(), 1000);
      Sockets.sendDatagram("@" + name, "STOPPING=1".getBytes(), 1000);
      ByteBuffer b = ByteBuffer.allocate(64);
      rx.receive(b);
      assertEquals("READY=1", new String(b.array(), 0, b.position()));
      b.clear();
      arx.receive(b);
      assertEquals("STOPPING=1", new String(b.array(), 0, b.position()));
    }
  }

  @Test
  void shouldGiveUpAtTheDeadlineWhenTheReceiverNeverReads() throws Exception {
    Path p = dir.resolve("full");
    try (AFUNIXDatagramChannel rx = AFUNIXDatagramChannel.open();
        AFUNIXDatagramChannel tx = TestSupport.connect(bound(rx, p))) {
      tx.configureBlocking(false);
      while (TestSupport.send(tx, "fill") > 0) {
        // fill the queue: a notify socket nobody reads
      }
      long t0 = System.nanoTime();
      IOException e =
          assertThrows(
              IOException.class,
              () -> Sockets.sendDatagram(p.toString(), "READY=1".getBytes(), 200));
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertTrue(e.getMessage().contains("no room"), e.getMessage());
      assertTrue(ms >= 150 && ms < 10_000, "gave up after " + ms + " ms");
    }
  }

  @Test
  void shouldNameTheErrorWhenNothingListens() {
    NativeException e =
        assertThrows(
            NativeException.class,
            () -> Sockets.sendDatagram(dir.resolve("none").toString(), new byte[] {1}, 100));
    assertTrue(e.isNotFound(), e.getMessage());
    assertThrows(
        IOException.class, () -> Sockets.sendDatagram("x".repeat(200), new byte[] {1}, 100));
  }

  @Test
  void shouldReadTheKernelsQueueBound() {
    assertTrue(Sockets.maxDgramQlen() > 0);
  }

  private static Path bound(AFUNIXDatagramChannel ch, Path p) throws IOException {
    ch.bind(AFUNIXSocketAddress.of(p));
    return p;
  }
}
