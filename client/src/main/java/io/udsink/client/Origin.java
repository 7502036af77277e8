package io.udsink.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the Datadog clients read from the environment, and the origin fields of DogStatsD 1.2 to
 * 1.6, resolved as they do: an explicit setting, then the environment, then the default.
 *
 * <ul>
 *   <li>{@code DD_DOGSTATSD_URL}: {@code unix:///path} or {@code unixgram:///path}, the socket.</li>
 *   <li>{@code DD_ENTITY_ID}: the tag {@code dd.internal.entity_id:<id>}.</li>
 *   <li>{@code DD_ENV}, {@code DD_SERVICE}, {@code DD_VERSION}: the tags {@code env:},
 *       {@code service:}, {@code version:} unless a constant tag of that name is set.</li>
 *   <li>Origin fields, after each line's tags: {@code |c:ci-<container id>} from
 *       {@code /proc/self/cgroup} (or {@code |c:in-<inode>} of the cgroup directory when the
 *       cgroup namespace hides the id), {@code |e:<DD_EXTERNAL_ENV>}, {@code |card:<cardinality>}
 *       ({@code DD_CARDINALITY}).</li>
 * </ul>
 */
final class Origin {
  /** The environment variable with the Datadog clients' socket URL. */
  static final String URL_ENV = "DD_DOGSTATSD_URL";

  private static final Pattern CONTAINER_ID =
      Pattern.compile("([0-9a-f]{64})|([0-9a-f]{32}-\\d+)|([0-9a-f]{8}(-[0-9a-f]{4}){4}$)");

  private Origin() {}

  /**
   * The socket a {@code DD_DOGSTATSD_URL} names, or null.
   *
   * @throws IllegalArgumentException when it is set to something other than a Unix socket URL
   */
  static String socketFromUrl(String url) {
    if (url == null || url.isEmpty()) {
      return null;
    }
    for (String scheme : new String[] {"unix://", "unixgram://"}) {
      if (url.startsWith(scheme)) {
        String path = url.substring(scheme.length());
        if (path.isEmpty()) {
          break;
        }
        return path;
      }
    }
    throw new IllegalArgumentException(
        URL_ENV
            + "="
            + url
            + ": want unix:///path or unixgram:///path (this client speaks only"
            + " Unix datagram sockets)");
  }

  /** The constant tags from the environment that the explicit tags do not already name. */
  static List<String> environmentTags(Map<String, String> env, List<String> explicit) {
    List<String> out = new ArrayList<>();
    String[][] pairs = {
      {"DD_ENTITY_ID", "dd.internal.entity_id"},
      {"DD_ENV", "env"},
      {"DD_SERVICE", "service"},
      {"DD_VERSION", "version"}
    };
    for (String[] p : pairs) {
      String v = env.get(p[0]);
      if (v == null || v.isEmpty()) {
        continue;
      }
      boolean named = false;
      for (String t : explicit) {
        if (t.equals(p[1]) || t.startsWith(p[1] + ":")) {
          named = true;
        }
      }
      if (!named) {
        out.add(p[1] + ":" + v);
      }
    }
    return out;
  }

  /**
   * The origin fields every line ends with, as bytes.
   *
   * @param containerId the container id, or null to leave it out
   * @param external {@code DD_EXTERNAL_ENV}, or null
   * @param cardinality the cardinality asked for, or null
   */
  static byte[] fields(String containerId, String external, String cardinality) {
    StringBuilder b = new StringBuilder();
    if (containerId != null && !containerId.isEmpty()) {
      b.append("|c:").append(clean(containerId));
    }
    if (external != null && !external.isEmpty()) {
      b.append("|e:").append(clean(external));
    }
    if (cardinality != null && !cardinality.isEmpty()) {
      b.append("|card:").append(clean(cardinality));
    }
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The host's first cgroup namespace, which a process outside any container shares. */
  private static final long HOST_CGROUP_NAMESPACE = 0xEFFFFFFBL;

  /** True when {@code /proc/self/ns/cgroup} names a namespace other than the host's. */
  static boolean privateNamespace(Path nsLink) {
    try {
      String target = Files.readSymbolicLink(nsLink).toString(); // cgroup:[4026531835]
      int open = target.indexOf('[');
      int close = target.indexOf(']');
      return open > 0
          && close > open
          && Long.parseLong(target.substring(open + 1, close)) != HOST_CGROUP_NAMESPACE;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static String clean(String v) {
    StringBuilder b = new StringBuilder(v.length());
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      b.append(c == '|' || c == '\n' || c == '\r' || c == '#' ? '_' : c);
    }
    return b.toString();
  }

  /**
   * This process's container, as DogStatsD 1.6 names it: {@code ci-<id>} from the cgroup file,
   * else {@code in-<inode>} of its cgroup directory when the cgroup namespace is private, else
   * null (not in a container).
   *
   * @param procSelfCgroup normally {@code /proc/self/cgroup}
   * @param cgroupRoot normally {@code /sys/fs/cgroup}
   */
  static String containerId(Path procSelfCgroup, Path cgroupRoot) {
    String text;
    try {
      if (!Files.isRegularFile(procSelfCgroup)) {
        return null;
      }
      text = Files.readString(procSelfCgroup, StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      return null;
    }
    String unified = null;
    for (String line : text.split("\n")) {
      int c1 = line.indexOf(':');
      int c2 = c1 < 0 ? -1 : line.indexOf(':', c1 + 1);
      if (c2 < 0) {
        continue;
      }
      String path = line.substring(c2 + 1);
      for (String part : path.split("/")) {
        Matcher m = CONTAINER_ID.matcher(part);
        if (m.find()) {
          return "ci-" + m.group();
        }
      }
      if (line.startsWith("0::")) {
        unified = path;
      }
    }
    if (unified != null && !unified.equals("/")) {
      return null; // a host cgroup without an id: not a container
    }
    if (unified != null
        && privateNamespace(procSelfCgroup.resolveSibling("ns").resolve("cgroup"))) {
      // a private cgroup namespace shows "/": name the cgroup by its directory's inode
      try {
        Object ino = Files.getAttribute(cgroupRoot, "unix:ino");
        return ino == null ? null : "in-" + ino;
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }
    return null;
  }
}
