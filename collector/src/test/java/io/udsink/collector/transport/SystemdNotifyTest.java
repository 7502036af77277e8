package io.udsink.collector.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.TestSupport;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** systemd's notify socket: a message arrives; a socket nobody reads never holds udsink. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SystemdNotifyTest {
  @TempDir Path dir;

  @Test
  void shouldDeliverReadyAndStopping() throws Exception {
    Path p = dir.resolve("notify");
    try (AFUNIXDatagramChannel rx = AFUNIXDatagramChannel.open()) {
      rx.bind(AFUNIXSocketAddress.of(p));
      SystemdNotify n = SystemdNotify.of(p.toString());
      n.send("READY=1");
      n.send("STOPPING=1");
      ByteBuffer b = ByteBuffer.allocate(64);
      rx.receive(b);
      assertEquals("READY=1", new String(b.array(), 0, b.position()));
      b.clear();
      rx.receive(b);
      assertEquals("STOPPING=1", new String(b.array(), 0, b.position()));
    }
  }

  @Test
  void shouldGiveUpWithinItsDeadlineWhenTheNotifySocketIsFull() throws Exception {
    Path p = dir.resolve("full");
    try (AFUNIXDatagramChannel rx = AFUNIXDatagramChannel.open()) {
      rx.bind(AFUNIXSocketAddress.of(p));
      try (AFUNIXDatagramChannel tx = TestSupport.connect(p)) {
        tx.configureBlocking(false);
        while (TestSupport.send(tx, "fill") > 0) {
          // a systemd that no longer reads: its queue is full
        }
      }
      long t0 = System.nanoTime();
      SystemdNotify.of(p.toString()).send("STOPPING=1"); // logged, never thrown
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertTrue(ms < SystemdNotify.TIMEOUT_MS + 2000, "returned after " + ms + " ms");
    }
  }
}
