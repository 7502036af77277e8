package io.udsink.collector.origin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Origins read from {@code /proc/<pid>/cgroup} as each runtime writes it. */
class OriginResolverTest {
  static final String ID = "4e1f9ab3c0d2e5f67890abcdef1234567890abcdef1234567890abcdef123456";

  @TempDir Path proc;

  static Stream<Arguments> files() {
    return Stream.of(
        Arguments.of(
            "docker, cgroup v1",
            "12:pids:/docker/" + ID + "\n1:cpu:/docker/" + ID,
            "container_id:" + ID),
        Arguments.of(
            "docker, cgroup v2", "0::/system.slice/docker-" + ID + ".scope", "container_id:" + ID),
        Arguments.of(
            "Kubernetes pod, cgroup v1",
            "4:memory:/kubepods/burstable/pod2f5e1c0a-4b7d-4f3e-9a61-0c2d3e4f5a6b/" + ID,
            "container_id:" + ID),
        Arguments.of(
            "Kubernetes with containerd, systemd driver",
            "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod2f5e1c0a_4b7d_"
                + "4f3e_9a61_0c2d3e4f5a6b.slice/cri-containerd-"
                + ID
                + ".scope",
            "container_id:" + ID),
        Arguments.of(
            "containerd without systemd",
            "0::/system.slice/containerd.service/kubepods-burstable-pod2f5e1c0a_4b7d.slice"
                + ":cri-containerd:"
                + ID,
            "container_id:" + ID),
        Arguments.of(
            "CRI-O",
            "0::/kubepods.slice/kubepods-pod1.slice/crio-" + ID + ".scope",
            "container_id:" + ID),
        Arguments.of(
            "CRI-O's monitor is not the container",
            "0::/system.slice/crio-conmon-" + ID + ".scope",
            null),
        Arguments.of(
            "podman",
            "0::/user.slice/user-1000.slice/user@1000.service/user.slice/"
                + "libpod-"
                + ID
                + ".scope/container",
            "container_id:" + ID),
        Arguments.of(
            "read from a container with a cgroup namespace of its own: a path relative to it",
            "0::/../../kubepods.slice/kubepods-pod1.slice/cri-containerd-" + ID + ".scope",
            "container_id:" + ID),
        Arguments.of(
            "a systemd service", "0::/system.slice/nginx.service", "systemd_unit:nginx.service"),
        Arguments.of(
            "a user's service",
            "0::/user.slice/user-1000.slice/user@1000.service/" + "app.slice/sync.service",
            "systemd_unit:sync.service"),
        Arguments.of(
            "hybrid: the v2 line names the service",
            "9:name=systemd:/\n8:pids:/\n0::/system.slice/cron.service",
            "systemd_unit:cron.service"),
        Arguments.of("a login session", "0::/user.slice/user-1000.slice/session-4.scope", null),
        Arguments.of("the root cgroup", "0::/", null),
        Arguments.of("an id of 63 digits is none", "0::/docker/" + ID.substring(1), null),
        Arguments.of("an id of 65 digits is none", "0::/docker/" + ID + "a", null),
        Arguments.of("garbage", "no colons here\n\n::", null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void shouldTellTheOriginOfEachRuntime(String what, String file, String origin) {
    assertEquals(origin, Cgroups.origin(file.lines().toList()), what);
  }

  private void write(int pid, String content) throws Exception {
    Files.createDirectories(proc.resolve(Integer.toString(pid)));
    Files.writeString(proc.resolve(pid + "/cgroup"), content);
  }

  @Test
  void shouldCacheAnswersAndMissesForAShortTime() throws Exception {
    AtomicLong now = new AtomicLong(1_000);
    OriginResolver r = new OriginResolver(proc, now::get);
    write(10, "0::/system.slice/a.service\n");
    assertArrayEquals("systemd_unit:a.service".getBytes(StandardCharsets.UTF_8), r.tag(10));
    assertNull(r.tag(11), "a process that is gone: no origin");
    write(10, "0::/system.slice/b.service\n");
    write(11, "0::/system.slice/c.service\n");
    assertArrayEquals("systemd_unit:a.service".getBytes(StandardCharsets.UTF_8), r.tag(10));
    assertNull(r.tag(11), "the miss is cached too");
    now.addAndGet(OriginResolver.TTL_NS + 1);
    assertArrayEquals("systemd_unit:b.service".getBytes(StandardCharsets.UTF_8), r.tag(10));
    assertArrayEquals("systemd_unit:c.service".getBytes(StandardCharsets.UTF_8), r.tag(11));
  }

  @Test
  void shouldCountSendersItCannotTellAndBoundWhatItRemembers() throws Exception {
    OriginResolver r = new OriginResolver(proc, System::nanoTime);
    assertNull(r.tag(0), "a sender in another pid namespace");
    assertNull(r.tag(-1), "a datagram without credentials");
    assertNull(r.tag(0));
    assertEquals(3, r.unresolved());
    for (int pid = 1; pid <= OriginResolver.MAX_PIDS + 100; pid++) {
      r.tag(pid); // none exists: each a cached miss, the oldest forgotten
    }
    write(5, "0::/system.slice/late.service\n");
    assertArrayEquals(
        "systemd_unit:late.service".getBytes(StandardCharsets.UTF_8),
        r.tag(5),
        "pid 5 was forgotten, not kept forever");
    Files.writeString(proc.resolve("5/cgroup"), "0::/x/" + "a".repeat(70_000) + ".service");
    OriginResolver fresh = new OriginResolver(proc, System::nanoTime);
    assertNull(fresh.tag(5), "a file beyond 64 KiB is not read for an origin");
  }
}
