package io.udsink.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the client takes from the environment, in the Datadog clients' order (explicit, then
 * environment, then default), and the origin fields.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EnvironmentTest {
  private static List<String> send(UdsinkClientBuilder b, Collector c) {
    UdsinkClient client = b.errorHandler(e -> {}).build();
    client.count("env.hits", 1);
    client.close();
    Collector.await("a line", 30, () -> !c.lines.isEmpty());
    return c.lines;
  }

  @Test
  void shouldTakeTheSocketFromTheSettingThenUdsinkSocketThenTheDatadogUrl() throws Exception {
    Path dir = Files.createTempDirectory("udsink-env");
    try (Collector a = new Collector(dir.resolve("a.sock"));
        Collector b = new Collector(dir.resolve("b.sock"));
        Collector c = new Collector(dir.resolve("c.sock"))) {
      String url = "unixgram://" + c.path;
      send(
          UdsinkClient.builder()
              .socket(a.path.toString())
              .environment(Map.of("UDSINK_SOCKET", b.path.toString(), "DD_DOGSTATSD_URL", url)),
          a);
      send(
          UdsinkClient.builder()
              .environment(Map.of("UDSINK_SOCKET", b.path.toString(), "DD_DOGSTATSD_URL", url)),
          b);
      send(UdsinkClient.builder().environment(Map.of("DD_DOGSTATSD_URL", "unix://" + c.path)), c);
      assertEquals(1, a.lines.size());
      assertEquals(1, b.lines.size());
      assertEquals(1, c.lines.size());
    } finally {
      Files.deleteIfExists(dir);
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                UdsinkClient.builder()
                    .environment(Map.of("DD_DOGSTATSD_URL", "udp://localhost:8125"))
                    .build());
    assertTrue(e.getMessage().contains("DD_DOGSTATSD_URL"), e.getMessage());
  }

  @Test
  void shouldTagWithTheDatadogVariablesUnlessATagOfThatNameIsSet() throws Exception {
    Path dir = Files.createTempDirectory("udsink-env");
    try (Collector c = new Collector(dir.resolve("t.sock"))) {
      List<String> lines =
          send(
              UdsinkClient.builder()
                  .socket(c.path.toString())
                  .constantTags("env:explicit")
                  .originDetection(false)
                  .environment(
                      Map.of(
                          "DD_ENV", "prod",
                          "DD_SERVICE", "cart",
                          "DD_VERSION", "1.2",
                          "DD_ENTITY_ID", "pod-uid-1",
                          "DD_EXTERNAL_ENV", "it-false,cn-app,pu-pod-uid-1",
                          "DD_CARDINALITY", "low")),
              c);
      assertEquals(
          List.of(
              "env.hits:1|c|#env:explicit,dd.internal.entity_id:pod-uid-1,service:cart,"
                  + "version:1.2|e:it-false,cn-app,pu-pod-uid-1|card:low"),
          lines);
    } finally {
      Files.deleteIfExists(dir);
    }
  }

  @Test
  void shouldNameTheContainerAsDogStatsdDoes() throws Exception {
    Path dir = Files.createTempDirectory("udsink-cg");
    try {
      String id = "3726184226f5d3147c25fdeab5b60097e378e8a720503a5e19ecfdf29f869860";
      Path v1 = Files.writeString(dir.resolve("v1"), "12:pids:/docker/" + id + "\n0::/\n");
      assertEquals("ci-" + id, Origin.containerId(v1, dir));
      Path v2 = Files.writeString(dir.resolve("v2"), "0::/system.slice/docker-" + id + ".scope\n");
      assertEquals("ci-" + id, Origin.containerId(v2, dir));
      Path host = Files.writeString(dir.resolve("host"), "0::/user.slice/session-1.scope\n");
      assertNull(Origin.containerId(host, dir), "a host process has no container");
      // "0::/" in the host's cgroup namespace: not a container either
      Files.createDirectory(dir.resolve("ns"));
      Files.createSymbolicLink(dir.resolve("ns/cgroup"), Path.of("cgroup:[4026531835]"));
      Path root = Files.writeString(dir.resolve("cgroup"), "0::/\n");
      assertNull(Origin.containerId(root, dir));
      // in a namespace of its own, the cgroup directory's inode names it
      Files.delete(dir.resolve("ns/cgroup"));
      Files.createSymbolicLink(dir.resolve("ns/cgroup"), Path.of("cgroup:[4026532512]"));
      Object ino = Files.getAttribute(dir, "unix:ino");
      assertEquals("in-" + ino, Origin.containerId(root, dir));
      assertEquals(
          "|c:ci-abc|e:x_y|card:high",
          new String(
              Origin.fields("ci-abc", "x|y", "high"), java.nio.charset.StandardCharsets.UTF_8));
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
