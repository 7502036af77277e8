package io.udsink.collector.origin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The origin tag of a sender: its container's id, or else its systemd service, from its
 * cgroups. Answers are cached per pid for {@link #TTL_NS}, misses included, so that a busy sender
 * costs one file read a second at most; a pid reused within that time keeps the previous
 * process's answer until it expires. Used on the receive loop's thread only.
 */
public final class OriginResolver {
  private static final Logger LOG = LoggerFactory.getLogger(OriginResolver.class);

  /** How long an answer is kept. */
  public static final long TTL_NS = TimeUnit.SECONDS.toNanos(1);

  /** Most pids remembered. */
  static final int MAX_PIDS = 4096;

  /** The most bytes of {@code /proc/<pid>/cgroup} read. */
  private static final int MAX_CGROUP_BYTES = 64 << 10;

  private record Answer(byte[] tag, long expiresNs) {}

  private final Path proc;
  private final LongSupplier nanoClock;
  private final Map<Integer, Answer> cache =
      new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, Answer> eldest) {
          return size() > MAX_PIDS;
        }
      };
  private final AtomicLong unresolved;

  /** The last answer, for the common case of one sender sending many datagrams in a row. */
  private int lastPid = -1;

  private Answer last;
  private int lastUses;
  private boolean reportedOtherNamespace;

  /**
   * Creates a resolver.
   *
   * @param proc where procfs is mounted ({@code /proc}; a directory of fixtures in tests)
   * @param nanoClock {@link System#nanoTime()}, for the cache
   */
  public OriginResolver(Path proc, LongSupplier nanoClock) {
    this(proc, nanoClock, new AtomicLong());
  }

  private OriginResolver(Path proc, LongSupplier nanoClock, AtomicLong unresolved) {
    this.proc = proc;
    this.nanoClock = nanoClock;
    this.unresolved = unresolved;
  }

  /**
   * A resolver for another thread: its own cache, the same count of unresolved datagrams. One
   * resolver is used by one thread.
   *
   * @return the new resolver
   */
  public OriginResolver forAnotherThread() {
    return new OriginResolver(proc, nanoClock, unresolved);
  }

  /** Datagrams whose sender could not be told: no credentials, or pid 0. */
  public long unresolved() {
    return unresolved.get();
  }

  /**
   * The origin tag of a sender.
   *
   * @param pid the sender's pid from its credentials: 0 for one in another pid namespace, -1 for
   *     a datagram without credentials
   * @return {@code container_id:<id>} or {@code systemd_unit:<unit>} as UTF-8, or null when the
   *     sender runs in neither, or cannot be told
   */
  public byte[] tag(int pid) {
    if (pid <= 0) {
      unresolved.incrementAndGet();
      if (pid == 0 && !reportedOtherNamespace) {
        reportedOtherNamespace = true;
        LOG.warn(
            "origin detection: a sender in another pid namespace (pid 0): its origin cannot be "
                + "told; run udsink in the host's pid namespace (docker --pid=host, Kubernetes "
                + "hostPID: true)");
      }
      return null;
    }
    if (pid == lastPid && ((++lastUses & 63) != 0 || last.expiresNs - nanoClock.getAsLong() > 0)) {
      return last.tag; // the clock is read every 64th datagram of a sender: the TTL is not exact
    }
    long now = nanoClock.getAsLong();
    Answer a = cache.get(pid);
    if (a == null || a.expiresNs - now < 0) {
      a = new Answer(read(pid), now + TTL_NS);
      cache.put(pid, a);
    }
    lastPid = pid;
    last = a;
    lastUses = 0;
    return a.tag;
  }

  private byte[] read(int pid) {
    Path file = proc.resolve(Integer.toString(pid)).resolve("cgroup");
    try {
      byte[] b = Files.readAllBytes(file);
      if (b.length > MAX_CGROUP_BYTES) {
        return null;
      }
      String tag = Cgroups.origin(new String(b, StandardCharsets.UTF_8).lines().toList());
      return tag == null ? null : tag.getBytes(StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return null; // the sender has exited
    } catch (IOException e) {
      LOG.debug("origin of pid {}: {}", pid, e.toString());
      return null;
    }
  }
}
