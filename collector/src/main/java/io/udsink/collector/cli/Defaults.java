package io.udsink.collector.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.udsink.client.DefaultSocket;
import io.udsink.collector.UdsinkException;

/** Built-in defaults, each overridable by an environment variable. */
final class Defaults {
  /** How the default socket is described in help texts. */
  static final String SOCKET_HELP = "$UDSINK_SOCKET, else " + DefaultSocket.SYSTEM
      + " for root and $XDG_RUNTIME_DIR/udsink.sock or /tmp/udsink-<uid>/udsink.sock for "
      + "other users";
  private static final Logger LOG = LoggerFactory.getLogger(Defaults.class);

  private Defaults() {
  }

  /** The socket a collector binds when none is given, its directory created if missing. */
  static String socket() {
    String path = DefaultSocket.forCollector();
    if (path.equals(DefaultSocket.userDefault()) && !path.startsWith("@")) {
      Path dir = Path.of(path).getParent();
      // the system directory must let emitters reach the socket; a per-user one is private
      String mode = path.equals(DefaultSocket.SYSTEM) ? "rwxr-xr-x" : "rwx------";
      if (!Files.isDirectory(dir)) {
        try {
          Files.createDirectories(dir,
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)));
          Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
          LOG.info("created directory {}", dir);
        } catch (IOException e) {
          throw new UdsinkException("default socket " + path + ": cannot create directory "
              + dir + ": " + e.getMessage() + " (or give --socket PATH)", e);
        }
      }
    }
    return path;
  }
}
