package io.udsink.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** Datagrams waiting in a collector's queue are charged to the sender's send buffer. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SendBufferTest {
  @TempDir Path dir;

  /** Sends 3,000-byte datagrams to a collector that does not read; how many the kernel took. */
  private long accepted(int sendBufferSize) throws Exception {
    Path path = dir.resolve("s" + sendBufferSize);
    try (AFUNIXDatagramChannel collector = AFUNIXDatagramChannel.open()) {
      collector.bind(AFUNIXSocketAddress.of(path));
      try (UdsinkClient c =
          UdsinkClient.builder()
              .aggregation(false)
              .socket(path.toString())
              .mode(Mode.NON_BLOCKING)
              .maxDatagramSize(3100)
              .sendBufferSize(sendBufferSize)
              .flushInterval(Duration.ofMillis(1))
              .errorHandler(e -> {})
              .build()) {
        String name = "n".repeat(2990);
        for (int i = 0; i < 40; i++) {
          c.count(name, 1);
          c.flush();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (c.stats().datagramsSent() + c.stats().droppedTotal() < 40
            && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
        assertEquals(
            40, c.stats().datagramsSent() + c.stats().droppedTotal(), c.stats().toString());
        return c.stats().datagramsSent();
      }
    } finally {
      Files.deleteIfExists(path);
    }
  }

  @Test
  void shouldApplyTheSendBufferSize() throws Exception {
    long small = accepted(4096);
    long usual = accepted(0);
    assertTrue(
        small < usual,
        "a 4 KiB send buffer holds fewer queued datagrams: "
            + small
            + " against "
            + usual
            + " with the default");
    assertTrue(small >= 1);
    assertThrows(
        IllegalArgumentException.class, () -> UdsinkClient.builder().sendBufferSize(-1).build());
  }
}
