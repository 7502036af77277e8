package io.udsink.collector.cli;

import io.udsink.client.DefaultSocket;
import io.udsink.collector.UdsinkException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Built-in defaults, each overridable by an environment variable. */
final class Defaults {
  /** How the default socket is described in help texts. */
  static final String SOCKET_HELP =
      "$UDSINK_SOCKET, else "
          + DefaultSocket.SYSTEM
          + " for root and $XDG_RUNTIME_DIR/udsink.sock or /tmp/udsink-<uid>/udsink.sock for "
          + "other users";

  /** The help of {@code --socket} for the commands that bind. */
  static final String SOCKET_OPTION_HELP =
      "Socket path, or @name for the abstract namespace; repeat for more (default: "
          + SOCKET_HELP
          + ").";

  private static final Logger LOG = LoggerFactory.getLogger(Defaults.class);

  private Defaults() {}

  /** The socket a collector binds when none is given, its directory created if missing. */
  static String socket() {
    String path = DefaultSocket.forCollector();
    if (path.equals(DefaultSocket.userDefault()) && !path.startsWith("@")) {
      Path dir = Path.of(path).getParent();
      // the system directory must let emitters reach the socket; a per-user one is private
      String mode = path.equals(DefaultSocket.SYSTEM) ? "rwxr-xr-x" : "rwx------";
      if (!path.equals(DefaultSocket.SYSTEM)
          && !DefaultSocket.safeUserDirectory(dir, DefaultSocket.uid())) {
        throw new UdsinkException(
            "default socket "
                + path
                + ": directory "
                + dir
                + " is not a "
                + "private directory of this user's (mode 0700, not a link): another user may have "
                + "made it first. Remove it, or give --socket PATH");
      }
      if (!Files.isDirectory(dir)) {
        try {
          Files.createDirectories(
              dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)));
          Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
          LOG.info("created directory {}", dir);
        } catch (IOException e) {
          throw new UdsinkException(
              "default socket "
                  + path
                  + ": cannot create directory "
                  + dir
                  + ": "
                  + e.getMessage()
                  + " (or give --socket PATH)",
              e);
        }
      }
    }
    return path;
  }

  private static final Path QLEN = Path.of("/proc/sys/net/unix/max_dgram_qlen");
  private static final int QLEN_WARN_BELOW = 512;

  /** Warns when {@code net.unix.max_dgram_qlen} makes a socket's queue too short for bursts. */
  static void checkQueueLength() {
    int qlen = io.udsink.collector.sys.Sockets.maxDgramQlen();
    if (qlen < 0) {
      LOG.debug("cannot read {}", QLEN);
    } else if (qlen < QLEN_WARN_BELOW) {
      LOG.warn(
          "net.unix.max_dgram_qlen is {}: a socket queues only {} datagrams, so bursts "
              + "make senders block or drop. Raise it: sysctl -w net.unix.max_dgram_qlen=1024",
          qlen,
          qlen + 1);
    }
  }
}
