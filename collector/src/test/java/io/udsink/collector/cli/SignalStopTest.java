package io.udsink.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.TestSupport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM to a real udsink process: lossless stop, result printed, exit status 0. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SignalStopTest {
  @TempDir Path dir;

  @Test
  void shouldPrintTheCountAndExitZeroOnSigterm() throws Exception {
    Path sock = dir.resolve("sig");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "count",
                "--socket",
                sock.toString())
            .redirectOutput(dir.resolve("out.txt").toFile())
            .redirectError(dir.resolve("err.txt").toFile())
            .start();
    try {
      TestSupport.await(
          "the socket",
          Duration.ofSeconds(30),
          () -> Files.exists(sock, LinkOption.NOFOLLOW_LINKS));
      MainRunner.Run send = MainTest.run("send", "--socket", sock.toString(), "--count", "250");
      assertEquals(0, send.code, send.err);
      p.destroy(); // SIGTERM (and closes our ends of its pipes, hence the files)
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      String out = Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), Files.readString(dir.resolve("err.txt")));
      assertEquals("rx=250 bytes=16000 truncated=0", out.trim());
      assertFalse(Files.exists(sock, LinkOption.NOFOLLOW_LINKS));
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void shouldStopCleanlyOnASigtermThatArrivesTheMomentTheSocketIsBound() throws Exception {
    for (int trial = 0; trial < 3; trial++) {
      Path sock = dir.resolve("early" + trial);
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process p =
          new ProcessBuilder(
                  java,
                  "-cp",
                  System.getProperty("java.class.path"),
                  Main.class.getName(),
                  "serve",
                  "--socket",
                  sock.toString(),
                  "--http",
                  "off",
                  "--out",
                  "off")
              .redirectOutput(dir.resolve("out" + trial + ".txt").toFile())
              .redirectError(dir.resolve("err" + trial + ".txt").toFile())
              .start();
      try {
        TestSupport.await(
            "the socket",
            Duration.ofSeconds(30),
            () -> Files.exists(sock, LinkOption.NOFOLLOW_LINKS));
        p.destroy(); // SIGTERM as soon as the socket exists
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), Files.readString(dir.resolve("err" + trial + ".txt")));
        assertFalse(Files.exists(sock, LinkOption.NOFOLLOW_LINKS), "no stale socket left");
      } finally {
        p.destroyForcibly();
      }
    }
  }
}
