package io.udsink.collector.export.remotewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.TestSupport;
import io.udsink.collector.UdsinkProcess;
import io.udsink.collector.cli.MainRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Remote-write credentials from files, never from the command line; secrets never shown. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RemoteWriteSecretsTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void shouldSendATokenFromAFileAndShowNoSecretAnywhere() throws Exception {
    try (Receiver receiver = new Receiver()) {
      Path token = Files.writeString(dir.resolve("token"), "t0k3n-from-file\n");
      Path sock = dir.resolve("s");
      int port = UdsinkProcess.freePort();
      String url = receiver.url() + "?api_key=qu3ry-s3cr3t";
      try (UdsinkProcess p =
          UdsinkProcess.start(
              dir,
              List.of(),
              "serve",
              "--socket",
              sock.toString(),
              "--out",
              "off",
              "--http",
              "127.0.0.1:" + port,
              "--flush-interval",
              "200ms",
              "--state-dir",
              dir.resolve("state").toString(),
              "--remote-write",
              url,
              "--remote-write-bearer-token-file",
              token.toString())) {
        p.awaitSocket(sock);
        try (var ch = TestSupport.connect(sock)) {
          TestSupport.send(ch, "secret.test:1|c");
        }
        TestSupport.await("a request", WAIT, () -> !receiver.accepted.isEmpty());
        assertEquals(
            "Bearer t0k3n-from-file", receiver.accepted.get(0).headers().getFirst("Authorization"));
        String metrics = UdsinkProcess.get(port, "/metrics");
        assertTrue(metrics.contains("api_key=<secret>"), metrics);
        assertFalse(metrics.contains("qu3ry-s3cr3t") || metrics.contains("t0k3n"), metrics);
        assertEquals(0, p.stop(WAIT), p.stderr());
        assertFalse(
            p.stderr().contains("qu3ry-s3cr3t") || p.stderr().contains("t0k3n"), p.stderr());
      }
    }
  }

  @Test
  void shouldRefuseASecretFileThatIsNotARegularFile() throws Exception {
    Path fifo = dir.resolve("fifo");
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
    MainRunner.Run r =
        MainRunner.run(
            "serve",
            "--socket",
            dir.resolve("s").toString(),
            "--http",
            "off",
            "--remote-write",
            "http://127.0.0.1:1/w",
            "--remote-write-bearer-token-file",
            fifo.toString(),
            "--duration",
            "1s");
    assertEquals(2, r.code, r.err);
    assertTrue(r.err.contains("not a regular file"), r.err);
    MainRunner.Run noUser =
        MainRunner.run(
            "serve",
            "--socket",
            dir.resolve("t").toString(),
            "--http",
            "off",
            "--remote-write",
            "http://127.0.0.1:1/w",
            "--remote-write-password-file",
            Files.writeString(dir.resolve("pw"), "x").toString(),
            "--duration",
            "1s");
    assertEquals(2, noUser.code, noUser.err);
    assertTrue(noUser.err.contains("--remote-write-username"), noUser.err);
  }
}
