package io.udsink.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --origin-detection} against real cgroups: a sender moved into a cgroup as docker names
 * them (v1 {@code pids/docker/<id>}, v2 {@code system.slice/docker-<id>.scope}) or into a
 * systemd service's, and the tag that comes out.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class OriginDetectionTest {
  @TempDir Path dir;

  /** Where a cgroup hierarchy is mounted: v2, or v1 with the given controller; null if none. */
  static Path mount(boolean v2, String controller) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      int dash = line.indexOf(" - ");
      if (dash < 0) {
        continue;
      }
      String[] before = line.substring(0, dash).split(" ");
      String[] after = line.substring(dash + 3).split(" ");
      if (v2 && after[0].equals("cgroup2")
          || !v2
              && after[0].equals("cgroup")
              && List.of(after[2].split(",")).contains(controller)) {
        return Path.of(before[4]);
      }
    }
    return null;
  }

  /** Runs a sender moved into {@code cgroup} first; returns once it has sent. */
  private void sendFrom(Path cgroup, Path sock, String line) throws Exception {
    String py =
        "import socket;s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM);s.connect('"
            + sock
            + "');s.send(b'"
            + line
            + "')";
    Process p =
        new ProcessBuilder(
                "sh",
                "-c",
                "echo $$ > "
                    + cgroup.resolve("cgroup.procs")
                    + " && exec python3 -c \""
                    + py
                    + "\"")
            .redirectErrorStream(true)
            .start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes()));
  }

  @Test
  void shouldTagEachSenderWithItsContainerOrService() throws Exception {
    boolean root = new com.sun.security.auth.module.UnixSystem().getUid() == 0;
    Path v1 = mount(false, "pids");
    Path v2 = mount(true, null);
    if (System.getenv("CI") == null) {
      assumeTrue(
          root && (v1 != null || v2 != null) && io.udsink.collector.Promtool.onPath("python3"),
          "moving a process into a cgroup needs root, a cgroup mount and python3; skipped "
              + "outside CI");
    }
    assertTrue(root && (v1 != null || v2 != null), "CI runs this as root with cgroups mounted");
    Random random = new Random();
    String id1 = HexFormat.of().formatHex(randomBytes(random));
    String id2 = HexFormat.of().formatHex(randomBytes(random));
    String unit = "udsink-test-" + Long.toHexString(random.nextLong() & 0xffffffL) + ".service";
    List<Path> made = new ArrayList<>();
    Path sock = dir.resolve("o");
    Path out = dir.resolve("o.jsonl");
    CompletableFuture<MainRunner.Run> serve =
        MainRunner.serve(sock, out, "6s", "--http", "off", "--origin-detection", "--workers", "2");
    try {
      List<String> want = new ArrayList<>();
      if (v1 != null) {
        Path c = v1.resolve("docker").resolve(id1);
        Files.createDirectories(c);
        made.add(c);
        sendFrom(c, sock, "origin.v1:1|c");
        want.add("container_id:" + id1);
      }
      if (v2 != null) {
        Path c = v2.resolve("system.slice").resolve("docker-" + id2 + ".scope");
        Files.createDirectories(c);
        made.add(c);
        sendFrom(c, sock, "origin.v2:1|c");
        want.add("container_id:" + id2);
        Path s = v2.resolve("system.slice").resolve(unit);
        Files.createDirectories(s);
        made.add(s);
        sendFrom(s, sock, "origin.unit:1|c");
        want.add("systemd_unit:" + unit);
        sendFrom(c, sock, "origin.own:1|c|c:mine");
        want.add("container_id:mine");
      }
      MainRunner.Run r = serve.get(40, TimeUnit.SECONDS);
      assertEquals(0, r.code, r.err);
      String lines = Files.readString(out);
      for (String tag : want) {
        assertTrue(lines.contains("\"" + tag + "\""), tag + " in " + lines);
      }
    } finally {
      for (int i = made.size() - 1; i >= 0; i--) {
        Files.deleteIfExists(made.get(i)); // empty once its process has exited
      }
    }
  }

  private static byte[] randomBytes(Random random) {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return b;
  }
}
