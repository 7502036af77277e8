package io.udsink.collector.origin;

import java.util.List;

/**
 * Reads an origin from the lines of {@code /proc/<pid>/cgroup}
 * ({@code hierarchy:controllers:path}, cgroup v1 and v2 alike; the v2 line is read first).
 *
 * <ul>
 *   <li>A container: a path component holding a 64-hex-digit id, alone ({@code /docker/<id>},
 *       {@code /kubepods/burstable/pod<uid>/<id>}) or with a runtime's prefix and suffix
 *       ({@code docker-<id>.scope}, {@code cri-containerd-<id>.scope}, {@code crio-<id>.scope},
 *       {@code libpod-<id>.scope}, {@code ...slice:cri-containerd:<id>}); CRI-O's
 *       {@code crio-conmon-<id>} monitor is not the container.
 *   <li>Else a systemd service: the last component ending in {@code .service}.
 * </ul>
 */
final class Cgroups {
  private static final int ID_LENGTH = 64;

  private Cgroups() {}

  /**
   * The origin tag of a process.
   *
   * @param lines the lines of its {@code /proc/<pid>/cgroup}
   * @return {@code container_id:<id>}, {@code systemd_unit:<name>}, or null
   */
  static String origin(List<String> lines) {
    String unit = null;
    List<String> ordered = new java.util.ArrayList<>(lines.size());
    for (String line : lines) {
      if (line.startsWith("0::")) {
        ordered.add(0, line); // the unified hierarchy first: it is the one systemd manages
      } else {
        ordered.add(line);
      }
    }
    for (String line : ordered) {
      int a = line.indexOf(':');
      int b = a < 0 ? -1 : line.indexOf(':', a + 1);
      if (b < 0) {
        continue;
      }
      String path = line.substring(b + 1);
      String id = containerId(path);
      if (id != null) {
        return "container_id:" + id;
      }
      if (unit == null) {
        unit = service(path);
      }
    }
    return unit == null ? null : "systemd_unit:" + unit;
  }

  /** The container id in a cgroup path, or null. */
  static String containerId(String path) {
    String[] parts = path.split("/");
    for (int i = parts.length - 1; i >= 0; i--) {
      String c = parts[i];
      if (c.contains("conmon")) {
        continue;
      }
      String id = hexRun(c);
      if (id != null) {
        return id;
      }
    }
    return null;
  }

  /** A run of exactly 64 hex digits in a component, bounded by non-hex characters, or null. */
  private static String hexRun(String c) {
    int run = 0;
    for (int i = 0; i <= c.length(); i++) {
      boolean hex = i < c.length() && isHex(c.charAt(i));
      if (hex) {
        run++;
      } else {
        if (run == ID_LENGTH) {
          return c.substring(i - ID_LENGTH, i);
        }
        run = 0;
      }
    }
    return null;
  }

  private static boolean isHex(char ch) {
    return ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f';
  }

  /** The last {@code .service} component of a path, or null. */
  static String service(String path) {
    String[] parts = path.split("/");
    for (int i = parts.length - 1; i >= 0; i--) {
      if (parts[i].endsWith(".service") && parts[i].length() > ".service".length()) {
        return parts[i];
      }
    }
    return null;
  }
}
