package io.udsink.collector.transport;

import io.udsink.collector.UdsinkException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds a socket file so that it never exists at its path with any mode but its own and no path
 * operation can be redirected: the socket is bound in a private directory (mode 0700) created next
 * to the path, its mode is set there, and it is then linked into place in one step
 * ({@code link(2)}, which replaces nothing; a stale socket is replaced with {@code rename(2)}).
 */
public final class PrivateBind {
  private static final Logger LOG = LoggerFactory.getLogger(PrivateBind.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private PrivateBind() {}

  /** Binds a socket at a staging path. */
  public interface Binder {
    /**
     * Binds.
     *
     * @param staging where
     * @throws IOException when it cannot
     */
    void bindAt(Path staging) throws IOException;
  }

  /** Looks at what is at the path: true for a stale socket, false for nothing; throws otherwise. */
  public interface Probe {
    /**
     * Looks.
     *
     * @param spec for messages
     * @param path the path
     * @return true for a stale socket, false for nothing
     */
    boolean stale(SocketSpec spec, Path path);
  }

  /**
   * Binds a socket file safely.
   *
   * @param spec for messages
   * @param path the final path
   * @param mode its permission bits
   * @param probe what may be at the path
   * @param binder binds at the staging path
   * @throws IOException when binding fails
   */
  public static void bind(SocketSpec spec, Path path, int mode, Probe probe, Binder binder)
      throws IOException {
    boolean stale = probe.stale(spec, path);
    Path privateDir = privateDirectory(spec, path.getParent());
    Path staging = privateDir.resolve("s");
    try {
      int bytes = staging.toString().getBytes(StandardCharsets.UTF_8).length;
      if (bytes > SocketSpec.MAX_PATH_BYTES) {
        throw new UdsinkException(
            "socket "
                + spec
                + ": the path is too long to bind safely ("
                + staging
                + " must fit in "
                + SocketSpec.MAX_PATH_BYTES
                + " bytes); shorten it by "
                + (bytes - SocketSpec.MAX_PATH_BYTES)
                + " bytes");
      }
      binder.bindAt(staging);
      Files.setPosixFilePermissions(staging, BoundSocket.modeToPermissions(mode));
      place(spec, staging, path, stale, probe);
    } finally {
      deleteQuietly(staging);
      deleteQuietly(privateDir);
    }
  }

  private static void place(SocketSpec spec, Path staging, Path path, boolean stale, Probe probe)
      throws IOException {
    if (!stale) {
      try {
        Files.createLink(path, staging);
        return;
      } catch (FileAlreadyExistsException e) {
        // something appeared meanwhile: look again
        if (!probe.stale(spec, path)) {
          throw new UdsinkException("socket " + spec + ": the path was taken while binding");
        }
      }
    }
    Files.move(staging, path, StandardCopyOption.ATOMIC_MOVE);
    LOG.warn("socket {}: took over a stale socket file (no process was bound to it)", spec);
  }

  private static Path privateDirectory(SocketSpec spec, Path parent) {
    for (int attempt = 0; attempt < 16; attempt++) {
      String name = ".u" + Long.toString(RANDOM.nextLong() >>> 1, 36).substring(0, 6);
      try {
        return Files.createDirectory(
            parent.resolve(name),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } catch (FileAlreadyExistsException e) {
        continue;
      } catch (IOException e) {
        throw new UdsinkException(
            "socket "
                + spec
                + ": cannot create a private directory in "
                + parent
                + ": "
                + e.getMessage(),
            e);
      }
    }
    throw new UdsinkException(
        "socket " + spec + ": cannot create a private directory in " + parent);
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      LOG.debug("cannot remove {}: {}", p, e.toString());
    }
  }
}
