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
 * A per-user directory counts only when it is a directory (not a link) of the user's, of mode
 * 0700: anyone may create {@code /tmp/udsink-<uid>} first, and a socket another user bound there
 * must never receive this user's metrics. A client whose directory is not safe sends to the
 * system collector instead (or fails with "no socket file" when there is none); a collector
 * refuses to start, naming the directory. A client of another user than the collector's finds
 * the system collector: when the user's own socket does not exist and {@value #SYSTEM} does, a
 * client sends there.
 */
public final class DefaultSocket {
  /** The environment variable naming the socket. */
  public static final String ENV = "UDSINK_SOCKET";

  /** The system collector's socket (root's default). */
  public static final String SYSTEM = "/run/udsink/udsink.sock";

  /** The socket file's name in a per-user directory. */
  public static final String NAME = "udsink.sock";

  private DefaultSocket() {}

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
    return forClient(uid(), userDefault(), Path.of(SYSTEM));
  }

  static String forClient(int uid, String own, Path system) {
    if (own.equals(system.toString())) {
      return own;
    }
    if (!safeUserDirectory(Path.of(own).getParent(), uid)) {
      return system.toString(); // never a socket another user could have put there
    }
    if (!Files.exists(Path.of(own), LinkOption.NOFOLLOW_LINKS)
        && Files.exists(system, LinkOption.NOFOLLOW_LINKS)) {
      return system.toString();
    }
    return own;
  }

  /**
   * True when a per-user socket directory may be used: it does not exist yet (the collector
   * creates it), or it is a directory, not a link, that belongs to {@code uid} and that no one
   * else may enter (mode 0700 or stricter).
   *
   * @param dir the directory
   * @param uid the user
   * @return whether it is safe
   */
  public static boolean safeUserDirectory(Path dir, int uid) {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return true;
    }
    return ownedPrivateDirectory(dir, uid);
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
      Map<String, Object> a = Files.readAttributes(dir, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
      return (Integer) a.get("uid") == uid
          && ((Integer) a.get("mode") & 0077) == 0
          && Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /** This process' uid, or -1 when it cannot be read. */
  public static int uid() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | UnsupportedOperationException e) {
      return -1;
    }
  }
}
