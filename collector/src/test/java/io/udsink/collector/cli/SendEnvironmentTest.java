package io.udsink.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.UdsinkProcess;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** {@code udsink send} takes its socket from the environment as the client library does. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SendEnvironmentTest {
  @TempDir Path dir;

  @Test
  void shouldSendToTheDatadogUrlWithoutASocketFlagAndRefuseABadOne() throws Exception {
    Path sock = dir.resolve("dd.sock");
    try (AFUNIXDatagramChannel rx = AFUNIXDatagramChannel.open()) {
      rx.bind(AFUNIXSocketAddress.of(sock));
      UdsinkProcess p =
          UdsinkProcess.start(
              dir,
              List.of(),
              Map.of("DD_DOGSTATSD_URL", "unixgram://" + sock, "UDSINK_SOCKET", ""),
              "send",
              "--count",
              "3",
              "--line",
              "dd.url:1|c");
      assertEquals(0, p.waitFor(Duration.ofSeconds(30)), p.stderr());
      ByteBuffer buf = ByteBuffer.allocate(1024);
      for (int i = 0; i < 3; i++) {
        buf.clear();
        rx.receive(buf);
        assertEquals(
            "dd.url:1|c", new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8));
      }
      p.close();
    }
    UdsinkProcess bad =
        UdsinkProcess.start(
            dir,
            List.of(),
            Map.of("DD_DOGSTATSD_URL", "udp://127.0.0.1:8125", "UDSINK_SOCKET", ""),
            "send",
            "--count",
            "1");
    assertEquals(2, bad.waitFor(Duration.ofSeconds(30)), bad.stderr());
    assertTrue(bad.stderr().contains("DD_DOGSTATSD_URL"), bad.stderr());
    bad.close();
  }
}
