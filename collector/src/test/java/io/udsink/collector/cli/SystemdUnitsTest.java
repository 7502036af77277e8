package io.udsink.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.Promtool;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The shipped units pass systemd's own check. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SystemdUnitsTest {
  private static final Path UNITS = Path.of("..", "docs", "systemd").toAbsolutePath();
  private static final Path LAUNCHER =
      Path.of("..", "scripts", "udsink").toAbsolutePath().normalize();

  @TempDir Path dir;

  @Test
  void shouldPassSystemdAnalyzeVerify() throws Exception {
    Promtool.requireProgram("systemd-analyze");
    // verify checks that ExecStart= exists: point it at this clone's launcher
    String service =
        Files.readString(UNITS.resolve("udsink.service"))
            .replace("/opt/udsink/bin/udsink", LAUNCHER.toString());
    assertTrue(service.contains("ExecStart=" + LAUNCHER), "the unit starts udsink");
    Files.writeString(dir.resolve("udsink.service"), service);
    Files.copy(UNITS.resolve("udsink.socket"), dir.resolve("udsink.socket"));
    Process p =
        new ProcessBuilder("systemd-analyze", "verify", "udsink.socket", "udsink.service")
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    assertEquals("", out.trim(), "no warnings");
    String socket = Files.readString(UNITS.resolve("udsink.socket"));
    assertTrue(socket.contains("ListenDatagram=/run/udsink/udsink.sock"), socket);
    assertTrue(service.contains("Type=notify"), service);
  }
}
