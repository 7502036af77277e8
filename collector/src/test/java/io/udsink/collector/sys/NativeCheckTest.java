package io.udsink.collector.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.UdsinkProcess;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Where the native layer cannot run, udsink says exactly why and exits 2: no silent fallback. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NativeCheckTest {
  @TempDir Path dir;

  @Test
  void shouldLoadHere() {
    Native.check();
  }

  @Test
  void shouldRefuseAnArchitectureItDoesNotKnowAndBindNothing() throws Exception {
    for (String cmd : List.of("serve", "count")) {
      Path sock = dir.resolve(cmd + ".sock");
      String[] args =
          cmd.equals("serve")
              ? new String[] {cmd, "--socket", sock.toString(), "--http", "off"}
              : new String[] {cmd, "--socket", sock.toString()};
      try (UdsinkProcess p = UdsinkProcess.start(dir, List.of("-Dos.arch=sparcv9"), args)) {
        int status = p.waitFor(Duration.ofSeconds(30));
        assertEquals(2, status, p.stderr());
        assertTrue(p.stderr().contains("x86_64 and aarch64 only; this is sparcv9"), p.stderr());
        assertFalse(p.stderr().contains("Exception"), p.stderr());
        assertFalse(Files.exists(sock, LinkOption.NOFOLLOW_LINKS), "nothing was bound");
      }
    }
  }

  @Test
  void shouldRefuseAnotherOperatingSystem() throws Exception {
    try (UdsinkProcess p =
        UdsinkProcess.start(
            dir, List.of("-Dos.name=FreeBSD"), "count", "--socket", dir.resolve("c").toString())) {
      assertEquals(2, p.waitFor(Duration.ofSeconds(30)), p.stderr());
      assertTrue(p.stderr().contains("runs on Linux only; this is FreeBSD"), p.stderr());
    }
  }
}
