package io.udsink.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where udsink's socket is when nobody says otherwise: a place no other user can occupy first.
 *
 * <ul>
 *   <li>{@code $UDSINK_SOCKET} when set;</li>
 *   <li>for root, the system collector's {@value #SYSTEM};</li>
 *   <li>for any other user, {@code $XDG_RUNTIME_DIR/udsink.sock} when that directory is the
 *       user's own, else {@code /tmp/udsink-<uid>/udsink.sock} (a directory of mode 0700 the
 *       collector creates and checks is the user's).</li>
 * </ul>
 *
 * A client of another user than the collector's finds the system collector: when the user's own
 * socket does not exist and {@value #SYSTEM} does, a client sends there.
 */
public final class DefaultSocket {
  /** The environment variable naming the socket. */
  public static final String ENV = "UDSINK_SOCKET";
  /** The system collector's socket (root's default). */
  public static final String SYSTEM = "/run/udsink/udsink.sock";
  /** The socket file's name in a per-user directory. */
  public static final String NAME = "udsink.sock";

  private DefaultSocket() {
  }

  /** The socket a collector binds when none is given. */
  public static String forCollector() {
    String env = System.getenv(ENV);
    if (env != null && !env.isBlank()) {
      return env;
    }
    return userDefault();
  }

  /** The socket a client sends to when none is given. */
  public static String forClient() {
    String env = System.getenv(ENV);
    if (env != null && !env.isBlank()) {
      return env;
    }
    String own = userDefault();
    if (!own.equals(SYSTEM) && !Files.exists(Path.of(own), LinkOption.NOFOLLOW_LINKS)
        && Files.exists(Path.of(SYSTEM), LinkOption.NOFOLLOW_LINKS)) {
      return SYSTEM;
    }
    return own;
  }

  /** This user's default, ignoring {@code $UDSINK_SOCKET}. */
  public static String userDefault() {
    return userDefault(uid(), System.getenv("XDG_RUNTIME_DIR"));
  }

  static String userDefault(int uid, String xdg) {
    if (uid == 0) {
      return SYSTEM;
    }
    if (xdg != null && !xdg.isBlank() && ownedPrivateDirectory(Path.of(xdg), uid)) {
      return Path.of(xdg, NAME).toString();
    }
    return "/tmp/udsink-" + uid + "/" + NAME;
  }

  private static boolean ownedPrivateDirectory(Path dir, int uid) {
    try {
      Map<String, Object> a = Files.readAttributes(dir, "unix:uid,mode");
      return (Integer) a.get("uid") == uid && ((Integer) a.get("mode") & 0077) == 0
          && Files.isDirectory(dir);
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  private static int uid() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | UnsupportedOperationException e) {
      return -1;
    }
  }
}
